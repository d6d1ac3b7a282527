import { InternalCallError, type InternalSession } from '../../../router/internal-session.js';
import { ErrorUri } from '../../../protocol/errors.js';
import { refuseUnknownKeywords } from '../../../router/meta/arguments.js';
import type { Args, Dict } from '../../../protocol/messages.js';
import type { DeadLetter, Outbox } from './outbox.js';
import type { DeliveryQueues } from './queues.js';
import { urlForLog } from '../../../config/mask-secrets.js';

/**
 * The forwarder's meta procedures, registered by a trusted session so that the forwarder's own
 * role needs no register permission; who may call them is the realm's authorization's business.
 *
 *   junction.forwarder.<id>.status              pending per (url, topic), oldest age, dead letters
 *   junction.forwarder.<id>.dead_letters        the oldest dead letters (kwarg limit)
 *   junction.forwarder.<id>.retry_dead_letters  back to the outbox (kwargs ids or limit)
 */

export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 1_000;
export const DEFAULT_RETRY_LIMIT = 1_000;
export const MAX_RETRY_LIMIT = 10_000;
/** Queues listed by status; the answer says when there were more. */
export const STATUS_QUEUE_LIMIT = 1_000;

export function forwarderMetaUris(id: string): { status: string; deadLetters: string; retryDeadLetters: string } {
  const base = `junction.forwarder.${id}`;
  return { status: `${base}.status`, deadLetters: `${base}.dead_letters`, retryDeadLetters: `${base}.retry_dead_letters` };
}

/** The three meta procedures, by their key in forwarderMetaUris. */
export type ForwarderMetaKind = keyof ReturnType<typeof forwarderMetaUris>;
export type ForwarderMetaHandlers = Record<ForwarderMetaKind, (args: Args, kwargs: Dict) => unknown>;

export async function registerForwarderMeta(session: InternalSession, id: string, queues: DeliveryQueues, outbox: Outbox): Promise<void> {
  await registerMetaUris(session, id, forwarderMetaHandlers(queues, outbox));
}

/** Registers each meta procedure of forwarder `id` with its handler. */
export async function registerMetaUris(session: InternalSession, id: string, handlers: ForwarderMetaHandlers): Promise<void> {
  const uris = forwarderMetaUris(id);
  for (const kind of Object.keys(uris) as ForwarderMetaKind[]) await session.register(uris[kind], (args, kwargs) => handlers[kind](args, kwargs));
}

/** What the meta procedures answer from one outbox and its queues. */
export function forwarderMetaHandlers(queues: DeliveryQueues, outbox: Outbox): ForwarderMetaHandlers {
  return {
    status: (_args, kwargs) => {
      refuseUnknownKeywords(kwargs, []);
      const status = queues.status(STATUS_QUEUE_LIMIT);
      return {
        pending: status.pending,
        dead_letters: status.deadLetters,
        truncated: status.truncated,
        queues: status.queues.map((queue) => ({
          url: urlForLog(queue.url), topic: queue.topic, pending: queue.pending,
          oldest_age_ms: queue.oldestAgeMs, head_attempts: queue.headAttempts, next_attempt_in_ms: queue.nextAttemptInMs,
          ...(queue.lastError === undefined ? {} : { last_error: queue.lastError }),
        })),
      };
    },
    deadLetters: (args, kwargs) => {
      refuseUnknownKeywords(kwargs, ['limit']);
      const limit = readLimit(kwargs.limit ?? args[0], DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT);
      return outbox.deadLetters(limit).map(describeDeadLetter);
    },
    retryDeadLetters: (args, kwargs) => {
      refuseUnknownKeywords(kwargs, ['ids', 'limit']);
      const ids = readIds(kwargs.ids);
      const limit = readLimit(kwargs.limit ?? args[0], ids?.length || DEFAULT_RETRY_LIMIT, MAX_RETRY_LIMIT);
      let retried: number;
      try {
        retried = queues.retryDeadLetters(limit, ids);
      } catch (error) {
        throw new InternalCallError(ErrorUri.unavailable, [(error as Error).message]);
      }
      return { retried, dead_letters: outbox.deadLetterCount };
    },
  };
}

function describeDeadLetter(letter: DeadLetter): Dict {
  return {
    id: letter.id, url: urlForLog(letter.url), topic: letter.topic, publication: letter.publication,
    attempts: letter.attempts, last_error: letter.lastError,
    created_at: new Date(letter.createdAt).toISOString(), dead_at: new Date(letter.deadAt).toISOString(),
    body: letter.body,
  };
}

function readLimit(value: unknown, fallback: number, max: number): number {
  if (value === undefined || value === null) return Math.min(fallback, max);
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw invalid(`limit must be an integer from 1 to ${max}`);
  }
  return value;
}

function readIds(value: unknown): number[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.length > MAX_RETRY_LIMIT || !value.every((id) => typeof id === 'number' && Number.isInteger(id) && id > 0)) {
    throw invalid(`ids must be a list of at most ${MAX_RETRY_LIMIT} dead-letter ids (positive integers)`);
  }
  return value as number[];
}

function invalid(message: string): InternalCallError {
  return new InternalCallError(ErrorUri.invalidArgument, [message]);
}
