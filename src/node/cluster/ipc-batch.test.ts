import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { serialize } from 'node:v8';
import { describe, it } from 'node:test';
import { batchedChannel, eachMessage, TurnBatch, type IpcBatch, type Written } from './ipc-batch.js';

/** The end of this turn: what it queued has been written. */
const turnEnd = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A channel recording each write; `complete` finishes the writes made so far. */
function recordingChannel() {
  const writes: unknown[] = [];
  const pending: Written[] = [];
  const incoming = new EventEmitter();
  return {
    writes,
    incoming,
    send: (message: unknown, written: Written) => {
      writes.push(message);
      pending.push(written);
    },
    on: (event: 'message', listener: (message: unknown) => void) => incoming.on(event, listener),
    off: (event: 'message', listener: (message: unknown) => void) => incoming.off(event, listener),
    complete: (error: Error | null = null) => {
      for (const written of pending.splice(0)) written(error);
    },
  };
}

describe('TurnBatch', () => {
  it('writes what one turn sends as one message, a lone message as it is, and keeps the order across turns', async () => {
    const channel = recordingChannel();
    const batch = new TurnBatch<number>(channel.send, { unsent: (error) => assert.fail(error) });
    for (let n = 1; n <= 3; n++) batch.add(n);
    assert.equal(channel.writes.length, 0, 'nothing is written before the turn ends');
    await turnEnd();
    batch.add(4);
    await turnEnd();
    for (let n = 5; n <= 6; n++) batch.add(n);
    await turnEnd();
    assert.deepEqual(channel.writes, [{ junction: 'batch', messages: [1, 2, 3] }, 4, { junction: 'batch', messages: [5, 6] }]);
    const received: unknown[] = [];
    for (const write of channel.writes) eachMessage(write, (message) => received.push(message));
    assert.deepEqual(received, [1, 2, 3, 4, 5, 6]);
  });

  it('reports the bytes of a write once it completes, and calls each message\'s callback then', async () => {
    const channel = recordingChannel();
    const reported: number[] = [];
    const done: (Error | null)[] = [];
    const batch = new TurnBatch<string>(channel.send, { written: (bytes) => void reported.push(bytes), unsent: (error) => assert.fail(error) });
    batch.add('a', 100, (error) => done.push(error));
    batch.add('b', 0);
    batch.add('c', 250, (error) => done.push(error));
    await turnEnd();
    assert.deepEqual(reported, [], 'not before the write completes');
    channel.complete();
    assert.deepEqual(reported, [350]);
    assert.deepEqual(done, [null, null]);
  });

  it('sends each message of a batch alone when the batch cannot be serialized, and reports only the one that cannot', async () => {
    const writes: unknown[] = [];
    const unsent: unknown[] = [];
    const reported: number[] = [];
    const done: (Error | null)[] = [];
    // As process.send does: the value is serialized before anything is written, and a value that cannot be throws.
    const send = (message: unknown, written: Written): void => {
      serialize(message);
      writes.push(message);
      written(null);
    };
    const batch = new TurnBatch<unknown>(send, { written: (bytes) => void reported.push(bytes), unsent: (_error, message) => void unsent.push(message) });
    const bad = { k: 'pub', args: [() => 'not data'] };
    batch.add('before', 10, (error) => done.push(error));
    batch.add(bad, 20);
    batch.add('after', 30, (error) => done.push(error));
    await turnEnd();
    assert.deepEqual(writes, ['before', 'after']);
    assert.deepEqual(unsent, [bad]);
    assert.deepEqual(reported, [60], 'nothing stays held');
    assert.deepEqual(done, [null, null]);
  });

  it('flush writes at once; close drops what is queued (its bytes reported, its callbacks told) and refuses more', async () => {
    const channel = recordingChannel();
    const reported: number[] = [];
    const errors: string[] = [];
    const batch = new TurnBatch<string>(channel.send, { written: (bytes) => void reported.push(bytes), unsent: (error) => assert.fail(error) });
    batch.add('first', 10);
    batch.flush();
    assert.deepEqual(channel.writes, ['first']);
    batch.add('pending', 20, (error) => errors.push(String(error?.message)));
    batch.close();
    batch.add('late', 30, (error) => errors.push(String(error?.message)));
    await turnEnd();
    assert.deepEqual(channel.writes, ['first'], 'nothing after close is written');
    assert.deepEqual(reported, [20], 'the dropped batch holds no bytes');
    assert.deepEqual(errors, ['the channel is closed', 'the channel is closed']);
  });
});

describe('batchedChannel', () => {
  it('sends once per turn, and each listener hears each message of a batch in order, message by message', async () => {
    const raw = recordingChannel();
    const channel = batchedChannel<string>(raw);
    channel.send('x');
    channel.send('y');
    await turnEnd();
    assert.deepEqual(raw.writes, [{ junction: 'batch', messages: ['x', 'y'] }]);

    const heard: string[] = [];
    const a = (message: unknown): number => heard.push(`a:${String(message)}`);
    const b = (message: unknown): number => heard.push(`b:${String(message)}`);
    channel.on('message', a);
    channel.on('message', b);
    assert.equal(raw.incoming.listenerCount('message'), 1, 'one listener on the raw channel');
    raw.incoming.emit('message', { junction: 'batch', messages: [1, 2] } satisfies IpcBatch<number>);
    raw.incoming.emit('message', 3);
    assert.deepEqual(heard, ['a:1', 'b:1', 'a:2', 'b:2', 'a:3', 'b:3']);
    channel.off('message', a);
    assert.equal(raw.incoming.listenerCount('message'), 1);
    channel.off('message', b);
    assert.equal(raw.incoming.listenerCount('message'), 0, 'released with the last listener: the channel no longer keeps the process alive');
  });
});
