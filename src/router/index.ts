export { Router, type RouterOptions } from './router.js';
export { InternalSession, InternalCallError, InternalResult, type InternalHandler, type CallOutcome } from './internal-session.js';
export type { Realm, RealmSettings } from './realm.js';
export type { Session } from './session.js';
export type { AttachOptions, Peer, SessionLink, TransportInfo } from './peer.js';
export * from './hooks.js';
export { silentLogger, type Logger } from './log.js';
export { realClock, type Clock } from './dealer/dealer.js';
