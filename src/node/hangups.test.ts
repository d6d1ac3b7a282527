import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { takeHangups } from './hangups.js';

/** Sends this process SIGHUP and resolves once its listeners have run (ours is listening meanwhile, so it cannot end the process). */
async function hangup(): Promise<void> {
  const delivered = once(process, 'SIGHUP');
  // A signal listener does not keep the event loop alive: the timer does, until the signal came.
  const timer = setTimeout(() => assert.fail('SIGHUP not delivered within 5 s'), 5_000);
  process.kill(process.pid, 'SIGHUP');
  await delivered;
  clearTimeout(timer);
}

describe('takeHangups', () => {
  it('keeps a SIGHUP that came before the handler and hands it over once, then passes each one on as it comes', async () => {
    const listenersBefore = process.listenerCount('SIGHUP');
    const hangups = takeHangups();
    const handled: string[] = [];
    try {
      await hangup();
      await hangup();
      hangups.handle(() => handled.push('first handler'));
      assert.deepEqual(handled, ['first handler'], 'the signals that came while starting ask for one reload, handled at once');
      hangups.handle(() => handled.push('second handler'));
      assert.deepEqual(handled, ['first handler'], 'a signal already handled is not handed over again');
      await hangup();
      assert.deepEqual(handled, ['first handler', 'second handler']);
    } finally {
      hangups.stop();
    }
    assert.equal(process.listenerCount('SIGHUP'), listenersBefore, 'stop() gives the signal back');
  });

  it('is one taker per process until stopped: the script takes it early, start gets the same one and a signal kept meanwhile', async () => {
    const early = takeHangups();
    const handled: string[] = [];
    try {
      await hangup();
      const fromStart = takeHangups();
      assert.equal(fromStart, early);
      fromStart.handle(() => handled.push('reload'));
      assert.deepEqual(handled, ['reload']);
    } finally {
      early.stop();
    }
    const next = takeHangups();
    try {
      assert.notEqual(next, early, 'once stopped, the next take is a new one');
    } finally {
      next.stop();
    }
  });

  it('raise() is a SIGHUP without the signal: handled now, or kept until there is a handler', () => {
    const hangups = takeHangups();
    const handled: string[] = [];
    try {
      hangups.raise();
      hangups.handle(() => handled.push('reload'));
      assert.deepEqual(handled, ['reload']);
      hangups.raise();
      assert.deepEqual(handled, ['reload', 'reload']);
    } finally {
      hangups.stop();
    }
  });
});
