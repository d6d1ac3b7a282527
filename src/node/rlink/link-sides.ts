/**
 * The two ends of a router link behind one interface: this router's side is an in-process
 * session (InternalSession), the other router's a client session. The forwarding code is written
 * once against LinkSide and runs in either direction.
 */

import { WampError } from '../../client/errors.js';
import { Result } from '../../client/result.js';
import type { Session } from '../../client/session.js';
import type { ForwardHop } from '../../client/types.js';
import type { Args, Dict } from '../../protocol/messages.js';
import { InternalCallError, InternalResult, type InternalSession } from '../../router/internal-session.js';

export type { ForwardHop };

/** An ERROR a side answered (or one the link answers a caller with). */
export class LinkCallError extends Error {
  constructor(readonly uri: string, readonly args: Args = [], readonly kwargs: Dict = {}) {
    super(`${uri}${typeof args[0] === 'string' ? `: ${args[0]}` : ''}`);
  }
}

export interface Outcome {
  args: Args;
  kwargs: Dict;
}

export type SideEventHandler = (args: Args, kwargs: Dict, details: Dict) => void;
/** Receives one progressive result of a call. */
export type SideProgress = (outcome: Outcome) => void;
/** `progress` sends a progressive result to the caller; undefined when the caller did not ask for them. */
export type SideEndpoint = (args: Args, kwargs: Dict, details: Dict, signal: AbortSignal, progress: SideProgress | undefined) => Promise<Outcome>;
/** Undoes a subscription or registration. */
export type Undo = () => Promise<void>;

export interface LinkSide {
  /** "local" or "remote": logs and metric labels. */
  readonly name: 'local' | 'remote';
  /** The link's own session on this side, for a forward_for entry when the sender was not disclosed. */
  identity(): ForwardHop;
  /** Rejects with a LinkCallError. `onProgress` asks for progressive results and receives them in order. */
  call(procedure: string, args?: Args, kwargs?: Dict, options?: { forward_for?: ForwardHop[]; timeout?: number }, signal?: AbortSignal, onProgress?: SideProgress): Promise<Outcome>;
  subscribe(uri: string, options: Dict, handler: SideEventHandler): Promise<Undo>;
  /** Acknowledged; rejects with a LinkCallError. */
  publish(topic: string, args: Args, kwargs: Dict, options: Dict): Promise<void>;
  /** `endpoint` rejects with a LinkCallError to answer with that error. */
  register(uri: string, options: Dict, endpoint: SideEndpoint): Promise<Undo>;
}

function fromInternal(error: unknown): unknown {
  return error instanceof InternalCallError ? new LinkCallError(error.uri, error.args, error.kwargs) : error;
}

function fromClient(error: unknown): unknown {
  return error instanceof WampError ? new LinkCallError(error.uri, error.args, error.kwargs) : error;
}

/** This router's side. Its registrations ask for the caller's identity (a trusted session may), to name it in forward_for. */
export function localSide(session: InternalSession, identity: { authid: string; authrole: string }): LinkSide {
  return {
    name: 'local',
    identity: () => ({ session: session.sessionId, ...identity }),
    call: (procedure, args = [], kwargs = {}, options = {}, signal, onProgress) =>
      session.call(procedure, args, kwargs, options, signal, onProgress && ((progressArgs, progressKwargs) => onProgress({ args: progressArgs, kwargs: progressKwargs }))).catch((error: unknown) => {
        throw fromInternal(error);
      }),
    async subscribe(uri, options, handler) {
      const id = await session.subscribe(uri, handler, options).catch((error: unknown) => {
        throw fromInternal(error);
      });
      return () => session.unsubscribe(id);
    },
    publish: (topic, args, kwargs, options) => session.publishAcknowledged(topic, args, kwargs, options).then(() => undefined, (error: unknown) => {
      throw fromInternal(error);
    }),
    async register(uri, options, endpoint) {
      const id = await session.register(uri, async (args, kwargs, details, signal, progress) => {
        try {
          const toCaller = details.receive_progress === true ? (outcome: Outcome) => progress(outcome.args, outcome.kwargs) : undefined;
          const outcome = await endpoint(args, kwargs, details, signal, toCaller);
          return new InternalResult(outcome.args, outcome.kwargs);
        } catch (error) {
          if (error instanceof LinkCallError) throw new InternalCallError(error.uri, error.args, error.kwargs);
          throw error;
        }
      }, { ...options, disclose_caller: true }).catch((error: unknown) => {
        throw fromInternal(error);
      });
      return () => session.unregister(id);
    },
  };
}

/** The other router's side. */
export function remoteSide(session: Session): LinkSide {
  return {
    name: 'remote',
    identity: () => ({ session: session.id, authid: String(session.details.authid ?? ''), authrole: String(session.details.authrole ?? '') }),
    call: (procedure, args = [], kwargs = {}, options = {}, signal, onProgress) =>
      session.call(procedure, args, kwargs, {
        ...options,
        ...(signal && { signal }),
        ...(onProgress && { onProgress: (result: Result) => onProgress({ args: result.args, kwargs: result.kwargs }) }),
      }).then(
        (result) => ({ args: result.args, kwargs: result.kwargs }),
        (error: unknown) => {
          throw fromClient(error);
        },
      ),
    async subscribe(uri, options, handler) {
      const subscription = await session.subscribe(uri, (args, kwargs, details) => handler(args, kwargs, details), options).catch((error: unknown) => {
        throw fromClient(error);
      });
      return () => subscription.unsubscribe();
    },
    publish: (topic, args, kwargs, options) => session.publish(topic, args, kwargs, { ...options, acknowledge: true }).then(() => undefined, (error: unknown) => {
      throw fromClient(error);
    }),
    async register(uri, options, endpoint) {
      const registration = await session.register(uri, async (args, kwargs, details) => {
        try {
          const toCaller = details.receive_progress ? (outcome: Outcome) => details.progress(outcome.args, outcome.kwargs) : undefined;
          const outcome = await endpoint(args, kwargs, details.raw, details.signal, toCaller);
          return new Result(outcome.args, outcome.kwargs);
        } catch (error) {
          if (error instanceof LinkCallError) throw new WampError(error.uri, error.args, error.kwargs);
          throw error;
        }
      }, options).catch((error: unknown) => {
        throw fromClient(error);
      });
      return () => registration.unregister();
    },
  };
}
