import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorUri } from '../../../protocol/errors.js';
import { InternalCallError } from '../../../router/internal-session.js';
import { forwarderMetaHandlers } from './meta.js';
import type { Outbox } from './outbox.js';
import type { DeliveryQueues } from './queues.js';

/** Queues and an outbox that record what the handlers ask of them. */
function handlers() {
  const retries: { limit: number; ids: number[] | undefined }[] = [];
  const queues = { retryDeadLetters: (limit: number, ids: number[] | undefined) => (retries.push({ limit, ids }), ids?.length ?? limit) } as unknown as DeliveryQueues;
  const outbox = { deadLetters: () => [], deadLetterCount: 0 } as unknown as Outbox;
  return { meta: forwarderMetaHandlers(queues, outbox), retries };
}

function invalidArgument(pattern: RegExp) {
  return (error: unknown) => error instanceof InternalCallError && error.uri === ErrorUri.invalidArgument && pattern.test(String(error.args?.[0]));
}

describe('forwarder meta procedures', () => {
  it('refuse an unknown keyword argument, naming it and the known ones, before acting (a mistyped "ids" must not retry the oldest 1,000)', () => {
    const { meta, retries } = handlers();
    assert.throws(() => meta.retryDeadLetters([], { id: [3] }), invalidArgument(/unknown keyword argument "id" \(expected ids, limit\)/));
    assert.throws(() => meta.deadLetters([], { limt: 2 }), invalidArgument(/unknown keyword argument "limt" \(expected limit\)/));
    assert.throws(() => meta.status([], { verbose: true }), invalidArgument(/unknown keyword argument "verbose" \(this procedure takes none\)/));
    assert.deepEqual(retries, []);
    assert.deepEqual(meta.retryDeadLetters([], { ids: [3] }), { retried: 1, dead_letters: 0 });
    assert.deepEqual(retries, [{ limit: 1, ids: [3] }]);
  });
});
