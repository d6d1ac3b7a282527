import { ErrorUri } from '../../protocol/errors.js';
import type { Args, Dict } from '../../protocol/messages.js';
import type { InventoryItem } from '../backplane.js';
import { InternalCallError } from '../internal-session.js';
import { argument, readId, readMatch, readOptionalDict, readString, refuseUnknownKeywords } from './arguments.js';
import { isRouterLink } from '../forward-for.js';
import { outranks } from '../match/precedence.js';
import { clusterItems } from './cluster-view.js';
import { knownSession, type MetaContext, type MetaProcedures } from './context.js';
import { removalProcedure } from './member-removal.js';
import { byMatchPolicy, isRouterUri, itemDetails } from './views.js';

/** wamp.registration.*: what is registered, and by which callees (on every node of a cluster). */
export function registrationProcedures(context: MetaContext): MetaProcedures {
  const { realm } = context;

  /** A registration by ID, on any node; the router's own (wamp.*) ones, such as the meta API itself, are not shown. */
  const registration = async (id: number): Promise<InventoryItem> => {
    const here = realm.dealer.registration(id);
    if (here && isRouterUri(here.uri)) {
      throw new InternalCallError(ErrorUri.notAuthorized, [`registration ${id} is the router's own procedure "${here.uri}"`]);
    }
    const [found] = await clusterItems(realm, 'registrations', { id });
    if (!found) throw new InternalCallError(ErrorUri.noSuchRegistration, [`no registration with ID ${id} exists in realm "${realm.name}"`]);
    return found;
  };

  /** A registration of this node whose callees are all router links: a link's mirror, listed as wamp.registration.on_create announces it: not at all. */
  const heldByLinks = (id: number): boolean => realm.dealer.registration(id)?.callees.every(isRouterLink) ?? false;

  const registrationArgument = (args: Args, kwargs: Dict): Promise<InventoryItem> => {
    refuseUnknownKeywords(kwargs, ['registration']);
    return registration(readId(argument(args, kwargs, 0, 'registration'), 'registration'));
  };

  return {
    'wamp.registration.list': async (args, kwargs) => {
      refuseUnknownKeywords(kwargs, ['session_id']);
      const sessionId = argument(args, kwargs, 0, 'session_id');
      if (sessionId === undefined || sessionId === null) return byMatchPolicy((await clusterItems(realm, 'registrations', {})).filter((item) => !heldByLinks(item.id)));
      const session = knownSession(context, readId(sessionId, 'session_id'));
      return byMatchPolicy(await clusterItems(realm, 'registrations', { session }));
    },

    'wamp.registration.lookup': async (args, kwargs) => {
      refuseUnknownKeywords(kwargs, ['procedure', 'options']);
      const uri = readString(argument(args, kwargs, 0, 'procedure'), 'procedure');
      const match = readMatch(readOptionalDict(argument(args, kwargs, 1, 'options'), 'options'));
      const [found] = await clusterItems(realm, 'registrations', { lookup: { uri, match } });
      return found?.id ?? null;
    },

    // The registration a call would reach: the best of every node's best match (match/precedence.ts).
    'wamp.registration.match': async (args, kwargs) => {
      refuseUnknownKeywords(kwargs, ['procedure']);
      const procedure = readString(argument(args, kwargs, 0, 'procedure'), 'procedure');
      const found = await clusterItems(realm, 'registrations', { matching: procedure });
      return bestMatch(found)?.id ?? null;
    },

    'wamp.registration.get': async (args, kwargs) => itemDetails(await registrationArgument(args, kwargs)),

    'wamp.registration.list_callees': async (args, kwargs) => (await registrationArgument(args, kwargs)).members,

    'wamp.registration.count_callees': async (args, kwargs) => (await registrationArgument(args, kwargs)).members.length,

    'wamp.registration.remove_callee': removalProcedure(context, {
      kind: 'registration', member: 'callee', noSuchItem: ErrorUri.noSuchRegistration,
      find: (id) => realm.dealer.registration(id),
      holds: (registration, session) => registration.callees.includes(session),
      revoke: (registration, session, reason) => realm.dealer.revoke(registration, session, reason),
    }),
  };
}

/** Of the best matches each node found, the one a call goes to; on a tie (the same pattern) this node's, listed first. */
function bestMatch(items: readonly InventoryItem[]): InventoryItem | undefined {
  let best: InventoryItem | undefined;
  for (const item of items) if (!best || outranks(item, best)) best = item;
  return best;
}
