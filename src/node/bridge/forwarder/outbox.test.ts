import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import { Outbox, queueKey, type OutboxMessage } from './outbox.js';

const root = mkdtempSync(join(tmpdir(), 'junction-outbox-'));
after(() => rmSync(root, { recursive: true, force: true }));

let counter = 0;
function message(url: string, topic: string, publication: number): OutboxMessage {
  return { url, topic, publication, body: JSON.stringify({ args: [publication], kwargs: {} }), createdAt: 1_000 + publication, attempts: 0, nextAttemptAt: 0 };
}

describe('Outbox', () => {
  let path: string;
  let outbox: Outbox;
  beforeEach(() => {
    path = join(root, `box${++counter}`);
    outbox = new Outbox(path, { deadLetterLimit: 3 });
  });
  afterEach(() => outbox.close());

  async function reopen(): Promise<Outbox> {
    await outbox.close();
    outbox = new Outbox(path, { deadLetterLimit: 3 });
    return outbox;
  }

  it('keeps each (url, topic) queue in append order across a reopen', async () => {
    const writes = [];
    // Interleaved topics and URLs, and more than ten per queue (so a text sort of the sequence would fail).
    for (let i = 1; i <= 12; i++) {
      writes.push(outbox.append(message('http://a/hook', i % 2 ? 'news.one' : 'news.two', i)).stored);
      writes.push(outbox.append(message('http://b/hook', 'news.one', 100 + i)).stored);
    }
    await Promise.all(writes);
    const loaded = (await reopen()).load();
    const publications = (url: string, topic: string) => {
      const queue = loaded.find((candidate) => candidate.url === url && candidate.topic === topic);
      assert.ok(queue, `queue ${url} ${topic}`);
      return queue.seqs.map((seq) => outbox.get({ url, topic, seq })!.publication);
    };
    assert.equal(loaded.length, 3);
    assert.deepEqual(publications('http://a/hook', 'news.one'), [1, 3, 5, 7, 9, 11]);
    assert.deepEqual(publications('http://a/hook', 'news.two'), [2, 4, 6, 8, 10, 12]);
    assert.deepEqual(publications('http://b/hook', 'news.one'), Array.from({ length: 12 }, (_, i) => 101 + i));
  });

  it('appends after a reopen behind what was already there', async () => {
    await outbox.append(message('http://a', 't', 1)).stored;
    await outbox.append(message('http://a', 't', 2)).stored;
    await reopen().then((box) => box.load());
    await outbox.append(message('http://a', 't', 3)).stored;
    const [queue] = (await reopen()).load();
    assert.deepEqual(queue!.seqs.map((seq) => outbox.get({ url: 'http://a', topic: 't', seq })!.publication), [1, 2, 3]);
  });

  it('stores the body and delivery facts, updates them in place and removes delivered messages', async () => {
    const first = outbox.append(message('http://a', 't', 1));
    const second = outbox.append(message('http://a', 't', 2));
    await Promise.all([first.stored, second.stored]);
    assert.deepEqual(outbox.get(first.ref), message('http://a', 't', 1));
    await outbox.update(first.ref, { ...message('http://a', 't', 1), attempts: 2, nextAttemptAt: 5_000, lastError: 'HTTP 500' });
    await outbox.remove(second.ref);
    const loaded = (await reopen()).load();
    assert.deepEqual(loaded, [{ url: 'http://a', topic: 't', seqs: [first.ref.seq] }]);
    assert.deepEqual(outbox.get(first.ref), { ...message('http://a', 't', 1), attempts: 2, nextAttemptAt: 5_000, lastError: 'HTTP 500' });
  });

  it('moves a message to the dead letters in one step, and they survive a reopen', async () => {
    const appended = outbox.append(message('http://a', 't', 7));
    await appended.stored;
    const { letter, evicted, stored } = outbox.deadLetter(appended.ref, { ...message('http://a', 't', 7), attempts: 5 }, 'HTTP 503', 9_000);
    await stored;
    assert.deepEqual(evicted, []);
    assert.equal(outbox.get(appended.ref), undefined);
    await reopen();
    assert.deepEqual(outbox.load(), []);
    assert.equal(outbox.deadLetterCount, 1);
    assert.deepEqual(outbox.deadLetters(10), [{ ...message('http://a', 't', 7), attempts: 5, lastError: 'HTTP 503', id: letter.id, deadAt: 9_000 }]);
  });

  it('bounds the dead letters, evicting the oldest and handing them back', async () => {
    const ids = [];
    for (let i = 1; i <= 5; i++) {
      const appended = outbox.append(message('http://a', 't', i));
      await appended.stored;
      const dead = outbox.deadLetter(appended.ref, message('http://a', 't', i), 'refused', i);
      await dead.stored;
      ids.push(dead.letter.id);
      assert.deepEqual(dead.evicted.map((old) => old.publication), i > 3 ? [i - 3] : []);
    }
    assert.equal(outbox.deadLetterCount, 3);
    assert.deepEqual(outbox.deadLetters(10).map((letter) => letter.publication), [3, 4, 5]);
    assert.deepEqual(outbox.deadLetters(2).map((letter) => letter.id), ids.slice(2, 4));
  });

  it('revives dead letters at the end of their queues, by id or oldest first, each only once', async () => {
    for (let i = 1; i <= 3; i++) {
      const appended = outbox.append(message('http://a', 't', i));
      await appended.stored;
      await outbox.deadLetter(appended.ref, { ...message('http://a', 't', i), attempts: 4 }, 'down', 0).stored;
    }
    const waiting = outbox.append(message('http://a', 't', 10));
    const [oldest, , newest] = outbox.deadLetters(10);
    const byId = outbox.revive(10, [newest!.id, newest!.id], 50);
    const concurrent = outbox.revive(10, [newest!.id], 50); // already on its way back: not taken twice
    assert.equal(concurrent.refs.length, 0);
    const rest = outbox.revive(1, undefined, 60);
    await Promise.all([waiting.stored, byId.stored, rest.stored]);
    assert.deepEqual(byId.refs.map((ref) => outbox.get(ref)!.publication), [3]);
    assert.deepEqual(rest.refs.map((ref) => outbox.get(ref)!.publication), [oldest!.publication]);
    assert.deepEqual(outbox.get(byId.refs[0]!), { ...message('http://a', 't', 3), attempts: 0, nextAttemptAt: 50 }, 'a fresh start: no attempts, no error');
    assert.equal(outbox.deadLetterCount, 1);
    const [queue] = (await reopen()).load();
    assert.deepEqual(queue!.seqs.map((seq) => outbox.get({ url: 'http://a', topic: 't', seq })!.publication), [10, 3, 1]);
    assert.deepEqual(outbox.deadLetters(10).map((letter) => letter.publication), [2]);
  });

  it('refuses writes once closed', async () => {
    await outbox.close();
    assert.throws(() => outbox.append(message('http://a', 't', 1)), /closed/);
  });

  it('keys queues by a digest that keeps long URLs and topics apart', () => {
    const long = 'x'.repeat(5_000);
    assert.equal(queueKey(long, 'a').length, 24);
    assert.notEqual(queueKey('http://a', 'b.c'), queueKey('http://a/b', '.c'));
    assert.notEqual(queueKey('u', 't1'), queueKey('u', 't2'));
  });
});
