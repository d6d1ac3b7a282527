import { MessageType } from './codes.js';

/** A WAMP dictionary (Details, Options, kwargs): a plain object with string keys. */
export type Dict = Record<string, unknown>;
/** Positional payload. */
export type Args = unknown[];

interface Payload {
  args?: Args;
  kwargs?: Dict;
  /**
   * Payload Passthru Mode: the application payload as opaque bytes (e.g. end-to-end encrypted),
   * in place of args/kwargs. Only with Options/Details `ppt_scheme` (spec) or `enc_algo`
   * (Autobahn); routers forward it byte for byte.
   */
  payload?: Uint8Array;
}

/** `realm` null: the client names none, and the sign-in may assign one (as Crossbar). */
export interface Hello { type: typeof MessageType.HELLO; realm: string | null; details: Dict }
export interface Welcome { type: typeof MessageType.WELCOME; session: number; details: Dict }
export interface Abort { type: typeof MessageType.ABORT; details: Dict; reason: string }
export interface Challenge { type: typeof MessageType.CHALLENGE; authMethod: string; extra: Dict }
export interface Authenticate { type: typeof MessageType.AUTHENTICATE; signature: string; extra: Dict }
export interface Goodbye { type: typeof MessageType.GOODBYE; details: Dict; reason: string }
export interface ErrorMessage extends Payload {
  type: typeof MessageType.ERROR;
  requestType: number;
  request: number;
  details: Dict;
  error: string;
}
export interface Publish extends Payload {
  type: typeof MessageType.PUBLISH;
  request: number;
  options: Dict;
  topic: string;
}
export interface Published { type: typeof MessageType.PUBLISHED; request: number; publication: number }
export interface Subscribe { type: typeof MessageType.SUBSCRIBE; request: number; options: Dict; topic: string }
export interface Subscribed { type: typeof MessageType.SUBSCRIBED; request: number; subscription: number }
export interface Unsubscribe { type: typeof MessageType.UNSUBSCRIBE; request: number; subscription: number }
/** request 0 with Details {subscription, reason?}: the broker revokes a subscription unasked. */
export interface Unsubscribed { type: typeof MessageType.UNSUBSCRIBED; request: number; details?: Dict }
export interface Event extends Payload {
  type: typeof MessageType.EVENT;
  subscription: number;
  publication: number;
  details: Dict;
}
export interface Call extends Payload {
  type: typeof MessageType.CALL;
  request: number;
  options: Dict;
  procedure: string;
}
export interface Cancel { type: typeof MessageType.CANCEL; request: number; options: Dict }
export interface Result extends Payload { type: typeof MessageType.RESULT; request: number; details: Dict }
export interface Register { type: typeof MessageType.REGISTER; request: number; options: Dict; procedure: string }
export interface Registered { type: typeof MessageType.REGISTERED; request: number; registration: number }
export interface Unregister { type: typeof MessageType.UNREGISTER; request: number; registration: number }
/** request 0 with Details {registration, reason?}: the dealer revokes a registration unasked. */
export interface Unregistered { type: typeof MessageType.UNREGISTERED; request: number; details?: Dict }
export interface Invocation extends Payload {
  type: typeof MessageType.INVOCATION;
  request: number;
  registration: number;
  details: Dict;
}
export interface Interrupt { type: typeof MessageType.INTERRUPT; request: number; options: Dict }
export interface Yield extends Payload { type: typeof MessageType.YIELD; request: number; options: Dict }

export type WampMessage =
  | Hello | Welcome | Abort | Challenge | Authenticate | Goodbye | ErrorMessage
  | Publish | Published | Subscribe | Subscribed | Unsubscribe | Unsubscribed | Event
  | Call | Cancel | Result | Register | Registered | Unregister | Unregistered
  | Invocation | Interrupt | Yield;

/**
 * Fills the two spare slots at the end of `wire` with args/kwargs the way the spec wants them
 * (kwargs force an (empty) args list before them) and cuts off what is left: that allocates
 * nothing, where a push would grow the array's store to 22 slots (on every message a router sends).
 */
function withPayload(wire: unknown[], payload: Payload): unknown[] {
  let end = wire.length - 2;
  if (payload.payload !== undefined) wire[end++] = payload.payload;
  else if (payload.kwargs !== undefined) {
    wire[end++] = payload.args ?? [];
    wire[end++] = payload.kwargs;
  } else if (payload.args !== undefined) wire[end++] = payload.args;
  wire.length = end;
  return wire;
}

/** The wire array for a typed message: what a codec serializes. */
export function toWire(m: WampMessage): unknown[] {
  switch (m.type) {
    case MessageType.HELLO: return [m.type, m.realm, m.details];
    case MessageType.WELCOME: return [m.type, m.session, m.details];
    case MessageType.ABORT: return [m.type, m.details, m.reason];
    case MessageType.CHALLENGE: return [m.type, m.authMethod, m.extra];
    case MessageType.AUTHENTICATE: return [m.type, m.signature, m.extra];
    case MessageType.GOODBYE: return [m.type, m.details, m.reason];
    case MessageType.ERROR: return withPayload([m.type, m.requestType, m.request, m.details, m.error, 0, 0], m);
    case MessageType.PUBLISH: return withPayload([m.type, m.request, m.options, m.topic, 0, 0], m);
    case MessageType.PUBLISHED: return [m.type, m.request, m.publication];
    case MessageType.SUBSCRIBE: return [m.type, m.request, m.options, m.topic];
    case MessageType.SUBSCRIBED: return [m.type, m.request, m.subscription];
    case MessageType.UNSUBSCRIBE: return [m.type, m.request, m.subscription];
    case MessageType.UNSUBSCRIBED: return m.details ? [m.type, m.request, m.details] : [m.type, m.request];
    case MessageType.EVENT: return withPayload([m.type, m.subscription, m.publication, m.details, 0, 0], m);
    case MessageType.CALL: return withPayload([m.type, m.request, m.options, m.procedure, 0, 0], m);
    case MessageType.CANCEL: return [m.type, m.request, m.options];
    case MessageType.RESULT: return withPayload([m.type, m.request, m.details, 0, 0], m);
    case MessageType.REGISTER: return [m.type, m.request, m.options, m.procedure];
    case MessageType.REGISTERED: return [m.type, m.request, m.registration];
    case MessageType.UNREGISTER: return [m.type, m.request, m.registration];
    case MessageType.UNREGISTERED: return m.details ? [m.type, m.request, m.details] : [m.type, m.request];
    case MessageType.INVOCATION: return withPayload([m.type, m.request, m.registration, m.details, 0, 0], m);
    case MessageType.INTERRUPT: return [m.type, m.request, m.options];
    case MessageType.YIELD: return withPayload([m.type, m.request, m.options, 0, 0], m);
  }
}
