import type { Dict } from '../../protocol/messages.js';
import { ErrorUri } from '../../protocol/errors.js';
import { InternalCallError, type InternalHandler } from '../internal-session.js';
import type { Realm } from '../realm.js';
import type { Session } from '../session.js';
import type { Testaments } from './testaments.js';

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
