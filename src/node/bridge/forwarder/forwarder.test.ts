import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { FeedEntry, LeasedFeed } from '../../cluster/leased-feed.js';
import { silentLogger } from '../../../router/log.js';
import { handBack, openLockedOutbox } from './forwarder.js';

const root = mkdtempSync(join(tmpdir(), 'junction-handback-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('a forwarder handing its outbox back to the cluster\'s feed', () => {
  it('hands each message back with its place in the feed, so that the feed can recognize one it has', async () => {
    const outboxAt = { directory: join(root, 'orders'), what: 'forwarder "orders"', log: silentLogger, onBytesChanged: () => {} };
    const { outbox, lock } = openLockedOutbox(outboxAt.directory, outboxAt.what, outboxAt.log, outboxAt.onBytesChanged);
    const stored = { url: 'http://app/hook', topic: 't', body: '{}', createdAt: 1, attempts: 2, nextAttemptAt: 3 };
    await outbox.append({ ...stored, publication: 1, feed: { id: 'a1b2.7', takenUnder: 'a#3' } }).stored;
    await outbox.append({ ...stored, publication: 2 }).stored; // stored by a single node, never in a feed
    await outbox.close();
    lock.release();

    const appended: FeedEntry[] = [];
    const feed = { append: async (entry: FeedEntry) => void appended.push(entry) } as unknown as LeasedFeed;
    await handBack(feed, outboxAt);
    assert.deepEqual(appended, [
      { url: 'http://app/hook', topic: 't', publication: 1, body: '{}', feed: { id: 'a1b2.7', takenUnder: 'a#3' } },
      { url: 'http://app/hook', topic: 't', publication: 2, body: '{}' },
    ]);
    const reopened = openLockedOutbox(outboxAt.directory, outboxAt.what, outboxAt.log, outboxAt.onBytesChanged);
    assert.deepEqual(reopened.outbox.load(), [], 'both left the outbox');
    await reopened.outbox.close();
    reopened.lock.release();
  });
});
