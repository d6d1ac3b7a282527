import type { ServerResponse } from 'node:http';
import { sendBody, sendEmpty } from './http.js';
import type { RelayedAnswer } from './relay.js';

/**
 * Where a `receive` is answered: the HTTP response of a client connected to this node, or a
 * request relayed from another node of the cluster (longpoll-relay.ts).
 */
export interface PollReply {
  /** The client is gone (its connection closed): whatever waits is kept for its next receive. */
  readonly gone: boolean;
  /** Answered already. */
  readonly done: boolean;
  body(body: Buffer, contentType: string): void;
  /** 204: nothing for the client this time. */
  empty(): void;
  /** Called once if the client goes away before the answer. */
  onGone(listener: () => void): void;
}

export function httpPollReply(response: ServerResponse): PollReply {
  return {
    get gone() {
      return response.destroyed;
    },
    get done() {
      return response.writableEnded;
    },
    body: (body, contentType) => sendBody(response, body, contentType),
    empty: () => sendEmpty(response),
    onGone: (listener) => void response.on('close', listener),
  };
}

/** A receive relayed from another node: answered through `resolve`; `abandon` when that node's client gave up. */
export interface RelayedPollReply extends PollReply {
  abandon(): void;
  /** Resolves once answered or abandoned. */
  readonly answered: Promise<void>;
}

export function relayedPollReply(resolve: (answer: RelayedAnswer) => void): RelayedPollReply {
  let done = false;
  let gone = false;
  let goneListener: (() => void) | undefined;
  let settled!: () => void;
  const answered = new Promise<void>((resolveAnswered) => (settled = resolveAnswered));
  const finish = (answer: RelayedAnswer): void => {
    if (done) return;
    done = true;
    resolve(answer);
    settled();
  };
  return {
    get gone() {
      return gone;
    },
    get done() {
      return done;
    },
    answered,
    body: (body, contentType) => finish({ status: 200, contentType, body }),
    empty: () => finish({ status: 204 }),
    onGone: (listener) => void (goneListener = listener),
    abandon: () => {
      if (done || gone) return;
      gone = true;
      goneListener?.();
      finish({ status: 204 }); // nobody reads it: the relaying node's client is gone
    },
  };
}
