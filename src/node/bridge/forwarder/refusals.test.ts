import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import type { Logger } from '../../../router/log.js';
import { Refusals } from './refusals.js';

function recordingLog(lines: { fields: Record<string, unknown>; msg: string }[]): Logger {
  const log: Logger = {
    trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, fatal: () => undefined,
    error: (fields: object, msg: string) => void lines.push({ fields: fields as Record<string, unknown>, msg }),
    child: () => log,
  } as unknown as Logger;
  return log;
}

const event = (n: number) => ({ url: 'http://app/hook', topic: 'news.flood', publication: n });

describe('Refusals', () => {
  it('reports the refusals a throttled second held back once that second is over, without waiting for another refusal', () => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'] });
    try {
      const lines: { fields: Record<string, unknown>; msg: string }[] = [];
      let counted = 0;
      const refusals = new Refusals({ inc: () => void (counted += 1) }, recordingLog(lines));
      for (let n = 1; n <= 3; n++) refusals.refuse(event(n), 'the outbox holds 5 undelivered messages (outbox_limit)');
      assert.equal(counted, 3);
      assert.deepEqual(lines.map((line) => line.fields.refused), [1], 'the first is logged at once, the next two held back');
      mock.timers.tick(1_000);
      assert.deepEqual(lines.map((line) => line.fields.refused), [1, 2], 'the held-back two are reported after the interval');
      assert.match(lines[1]!.msg, /refused/);
      assert.equal(lines[1]!.fields.reason, 'the outbox holds 5 undelivered messages (outbox_limit)');
      refusals.flush();
      assert.equal(lines.length, 2, 'nothing is left for flush to report twice');
    } finally {
      mock.timers.reset();
    }
  });

  it('flush reports what is held back at once and cancels the pending report', () => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'] });
    try {
      const lines: { fields: Record<string, unknown>; msg: string }[] = [];
      const refusals = new Refusals({ inc: () => undefined }, recordingLog(lines));
      refusals.refuse(event(1), 'full');
      refusals.refuse(event(2), 'full');
      refusals.flush();
      mock.timers.tick(5_000);
      assert.deepEqual(lines.map((line) => line.fields.refused), [1, 1]);
    } finally {
      mock.timers.reset();
    }
  });
});
