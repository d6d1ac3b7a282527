import { ErrorUri } from '../../protocol/errors.js';
import { InternalCallError, type InternalHandler } from '../internal-session.js';
import type { Session } from '../session.js';
import { argument, readId, readOptionalString, refuseUnknownKeywords } from './arguments.js';
import { visibleSession, type MetaContext } from './context.js';
import { isRouterUri } from './views.js';

/** What remove_callee and remove_subscriber need of the dealer or the broker. */
export interface Removal<Item extends { readonly uri: string }> {
  /** "registration" or "subscription": the first argument's name is `${kind}_id`, as in Crossbar. */
  readonly kind: 'registration' | 'subscription';
  /** "callee" or "subscriber": the second argument's name is `${member}_id`. */
  readonly member: 'callee' | 'subscriber';
  readonly noSuchItem: string;
  find(id: number): Item | undefined;
  holds(item: Item, session: Session): boolean;
  revoke(item: Item, session: Session, reason: string | undefined): Promise<void> | void;
}

/**
 * wamp.registration.remove_callee / wamp.subscription.remove_subscriber(id, session_id, reason?):
 * takes a session off a registration or subscription of this router node, with Crossbar's errors.
 * In a cluster it acts on this node's sessions only (another node's are unknown here).
 */
export function removalProcedure<Item extends { readonly uri: string }>(context: MetaContext, removal: Removal<Item>): InternalHandler {
  const itemKey = `${removal.kind}_id`;
  const memberKey = `${removal.member}_id`;
  return async (args, kwargs) => {
    refuseUnknownKeywords(kwargs, [itemKey, memberKey, 'reason']);
    const id = readId(argument(args, kwargs, 0, itemKey), itemKey);
    const sessionId = readId(argument(args, kwargs, 1, memberKey), memberKey);
    const reason = readOptionalString(argument(args, kwargs, 2, 'reason'), 'reason');
    const session = visibleSession(context, sessionId);
    const item = removal.find(id);
    if (!item) throw new InternalCallError(removal.noSuchItem, [`no ${removal.kind} with ID ${id} exists on this router node`]);
    if (isRouterUri(item.uri)) {
      throw new InternalCallError(ErrorUri.notAuthorized, [`${removal.kind} ${id} is the router's own ("${item.uri}")`]);
    }
    if (!removal.holds(item, session)) {
      throw new InternalCallError(removal.noSuchItem, [`session ${sessionId} is not a ${removal.member} of ${removal.kind} ${id}`]);
    }
    await removal.revoke(item, session, reason);
    return null;
  };
}
