import type { Dict } from '../../protocol/messages.js';
import { ErrorUri } from '../../protocol/errors.js';
import { InternalCallError, type InternalHandler } from '../internal-session.js';
import type { Realm } from '../realm.js';
import type { Session } from '../session.js';
import type { Testaments } from './testaments.js';
import { isVisible } from './views.js';

/** What the meta procedures share: the realm they serve and the state the meta API keeps. */
export interface MetaContext {
  readonly realm: Realm;
  readonly testaments: Testaments;
  /** Sessions closed by wamp.session.kill_all: the spec says they leave without meta or testament events. */
  readonly quietLeaves: Set<number>;
}

export type MetaProcedures = Record<string, InternalHandler>;

/** The session that called a meta procedure: the meta API registers with disclose_caller, so INVOCATION names it. */
export function callerOf(context: MetaContext, details: Dict): Session {
  const caller = typeof details.caller === 'number' ? context.realm.session(details.caller) : undefined;
  if (!caller) throw new InternalCallError(ErrorUri.noSuchSession, ['the calling session is gone']);
  return caller;
}

export function noSuchSession(context: MetaContext, id: number): InternalCallError {
  return new InternalCallError(ErrorUri.noSuchSession, [`no session with ID ${id} exists in realm "${context.realm.name}"`]);
}

/** A session by ID; the router's own sessions are not shown, so their IDs name no session either. */
export function visibleSession(context: MetaContext, id: number): Session {
  const session = context.realm.sessions.get(id);
  if (!session || !isVisible(session)) throw noSuchSession(context, id);
  return session;
}

/** A visible session's ID, on this node or (in a cluster) another one. */
export function knownSession(context: MetaContext, id: number): number {
  const here = context.realm.sessions.get(id);
  if (here ? isVisible(here) : context.realm.remoteSessions().some((session) => session.session === id)) return id;
  throw noSuchSession(context, id);
}
