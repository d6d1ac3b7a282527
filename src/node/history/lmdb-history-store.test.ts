import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { open, type Key } from 'lmdb';
import type { HistoryFileConfig } from '../../config/model.js';
import type { CopiedEvent } from '../../router/broker/event-history.js';
import { silentLogger } from '../../router/log.js';
import { CaptureLog } from '../../../test/auth/support/capture-log.js';
import { encodeEntry } from './history-entry.js';
import { LmdbHistoryStore, type HistoryStoreMeter, type NotWrittenReason } from './lmdb-history-store.js';

const folder = mkdtempSync(join(tmpdir(), 'junction-history-store-'));
after(() => rmSync(folder, { recursive: true, force: true }));
let files = 0;

/** What the store reported to its meter. */
class Meter implements HistoryStoreMeter {
  bytes = 0;
  unreadableEntries = 0;
  readonly notWrittenEvents: Partial<Record<NotWrittenReason, number>> = {};
  storedBytes(bytes: number): void {
    this.bytes = bytes;
  }
  notWritten(reason: NotWrittenReason, events: number): void {
    this.notWrittenEvents[reason] = (this.notWrittenEvents[reason] ?? 0) + events;
  }
  unreadable(entries: number): void {
    this.unreadableEntries += entries;
  }
}

function fileConfig(overrides: Partial<HistoryFileConfig> = {}): HistoryFileConfig {
  return { path: join(folder, `store-${++files}`), maxBytes: 1024 * 1024, readonly: false, sync: true, bufferFlushMs: 60_000, maxBuffer: 100, ...overrides };
}

const event = (publication: number, time: number, extra: Partial<CopiedEvent> = {}): CopiedEvent => ({
  event: { timestamp: new Date(time).toISOString(), subscription: 7, publication, details: { publisher: 3 }, args: [publication], kwargs: { n: publication } },
  time, topic: 'log.a', ...extra,
});

describe('lmdb history store', () => {
  it('writes what it is told at the flush and reads it back after a reopen, by history and oldest first', async () => {
    const config = fileConfig();
    const first = new LmdbHistoryStore(config, silentLogger, new Meter());
    assert.deepEqual(first.load(), []);
    const binary = event(3, 3_000, { receivers: { excludeAuthrole: ['guest'] }, position: { source: 'node-a', seq: 9 } });
    binary.event = { ...binary.event, args: [new Uint8Array([0, 1, 255])] };
    first.kept('log', 'prefix', event(2, 2_000));
    first.kept('log', 'prefix', event(1, 1_000));
    first.kept('log', 'prefix', binary);
    first.kept('other', 'exact', event(5, 5_000, { topic: 'other' }));
    await first.close();

    const meter = new Meter();
    const second = new LmdbHistoryStore(config, silentLogger, meter);
    const loaded = second.load();
    await second.close();
    const log = loaded.find((history) => history.uri === 'log')!;
    assert.equal(log.match, 'prefix');
    assert.deepEqual(log.events.map((copy) => copy.event.publication), [1, 2, 3], 'ordered by the time each was kept');
    assert.deepEqual(log.events[0], event(1, 1_000));
    assert.deepEqual(log.events[2]!.receivers, { excludeAuthrole: ['guest'] });
    assert.deepEqual(log.events[2]!.position, { source: 'node-a', seq: 9 });
    assert.deepEqual([...(log.events[2]!.event.args![0] as Uint8Array)], [0, 1, 255], 'binary arguments come back as bytes');
    assert.deepEqual(loaded.find((history) => history.uri === 'other')?.events.map((copy) => copy.event.publication), [5]);
    assert.ok(meter.bytes > 0, 'the stored bytes are read from the file');
  });

  it('reads events kept within one millisecond in the order their node published them', async () => {
    const config = fileConfig();
    const store = new LmdbHistoryStore(config, silentLogger, new Meter());
    // Publication IDs are random: here the later one has the smaller ID, so the file holds it first.
    store.kept('log', 'exact', event(900, 1_000, { position: { source: 'node-a', seq: 1 } }));
    store.kept('log', 'exact', event(100, 1_000, { position: { source: 'node-a', seq: 2 } }));
    await store.close();
    const reopened = new LmdbHistoryStore(config, silentLogger, new Meter());
    assert.deepEqual(reopened.load()[0]!.events.map((copy) => copy.event.publication), [900, 100]);
    await reopened.close();
  });

  it('removes what a history let go, and counts the bytes down again', async () => {
    const config = fileConfig();
    const meter = new Meter();
    const store = new LmdbHistoryStore(config, silentLogger, meter);
    store.kept('log', 'exact', event(1, 1_000));
    store.kept('log', 'exact', event(2, 2_000));
    await store.flush();
    const both = meter.bytes;
    store.dropped('log', 'exact', 1);
    store.dropped('log', 'exact', 99); // never stored: nothing to remove
    await store.close();
    assert.ok(meter.bytes > 0 && meter.bytes < both);
    const reopened = new LmdbHistoryStore(config, silentLogger, new Meter());
    assert.deepEqual(reopened.load()[0]!.events.map((copy) => copy.event.publication), [2]);
    await reopened.close();
  });

  it('holds one entry per publication when several processes write the same one (the workers of --workers)', async () => {
    const config = fileConfig();
    const meters = [new Meter(), new Meter()];
    const stores = meters.map((meter) => new LmdbHistoryStore(config, silentLogger, meter));
    for (const store of stores) store.kept('log', 'exact', event(1, 1_000));
    await stores[0]!.flush();
    const once = meters[0]!.bytes;
    await stores[1]!.flush();
    assert.equal(meters[1]!.bytes, once, 'the second write replaced the entry, the bytes are counted once');
    for (const store of stores) await store.close();
    const reopened = new LmdbHistoryStore(config, silentLogger, new Meter());
    assert.deepEqual(reopened.load()[0]!.events.map((copy) => copy.event.publication), [1]);
    await reopened.close();
  });

  it('writes no event past maxsize bytes: it is counted and warned, and room made by a removal is used again', async () => {
    const one = encodeEntry(event(1, 1_000)).length;
    const config = fileConfig({ maxBytes: 2 * one + 1 });
    const meter = new Meter();
    const log = new CaptureLog();
    const store = new LmdbHistoryStore(config, log, meter);
    for (let i = 1; i <= 4; i++) store.kept('log', 'exact', event(i, i * 1_000));
    await store.flush();
    assert.equal(meter.notWrittenEvents.store_full, 2);
    assert.ok(meter.bytes <= config.maxBytes);
    const warning = log.lines.find((line) => line.level === 'warn');
    assert.match(warning?.message ?? '', /maxsize/);
    assert.equal((warning?.fields as { events: number }).events, 2);
    store.dropped('log', 'exact', 1);
    store.kept('log', 'exact', event(5, 5_000));
    await store.close();
    const reopened = new LmdbHistoryStore(config, silentLogger, new Meter());
    assert.deepEqual(reopened.load()[0]!.events.map((copy) => copy.event.publication), [2, 5]);
    await reopened.close();
  });

  it('buffers at most max-buffer changes between writes, a write under way included: the events past it are not written, and counted', async () => {
    const meter = new Meter();
    const config = fileConfig({ maxBuffer: 3 });
    const store = new LmdbHistoryStore(config, silentLogger, meter);
    for (let i = 1; i <= 5; i++) store.kept('log', 'exact', event(i, i * 1_000));
    assert.equal(meter.notWrittenEvents.buffer_full, 2);
    const writing = store.flush();
    // While that write is under way the buffer fills again and is not taken: memory holds at most 3 more.
    for (let i = 6; i <= 9; i++) store.kept('log', 'exact', event(i, i * 1_000));
    store.dropped('log', 'exact', 1);
    assert.equal(store.flush(), writing, 'no second write starts before the first ends');
    assert.equal(meter.notWrittenEvents.buffer_full, 3);
    await store.close();
    const reopened = new LmdbHistoryStore(config, silentLogger, new Meter());
    assert.deepEqual(reopened.load()[0]!.events.map((copy) => copy.event.publication), [1, 2, 3, 6, 7, 8]);
    await reopened.close();
  });

  it('writes by itself every buffer-flush milliseconds', async () => {
    const config = fileConfig({ bufferFlushMs: 20 });
    const store = new LmdbHistoryStore(config, silentLogger, new Meter());
    store.kept('log', 'exact', event(1, 1_000));
    const reader = open({ path: config.path, noSubdir: false, readOnly: true });
    const events = reader.openDB({ name: 'events', encoding: 'binary' });
    let found = false;
    for (let tries = 0; tries < 200 && !found; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      reader.resetReadTxn();
      found = events.getKeysCount() === 1;
    }
    assert.ok(found, 'the event reached the file without a flush call');
    await reader.close();
    await store.close();
  });

  it('leaves out an event it cannot encode, counted as write_failed, and writes the others of its batch', async () => {
    const config = fileConfig();
    const meter = new Meter();
    const store = new LmdbHistoryStore(config, silentLogger, meter);
    const huge = event(2, 2_000);
    huge.event = { ...huge.event, args: [2n ** 70n] }; // no MessagePack integer holds it
    store.kept('log', 'exact', event(1, 1_000));
    store.kept('log', 'exact', huge);
    store.kept('log', 'exact', event(3, 3_000));
    await store.close();
    assert.equal(meter.notWrittenEvents.write_failed, 1);
    const reopened = new LmdbHistoryStore(config, silentLogger, new Meter());
    assert.deepEqual(reopened.load()[0]!.events.map((copy) => copy.event.publication), [1, 3]);
    await reopened.close();
  });

  it('skips entries it cannot read, with a warning, and removes them', async () => {
    const config = fileConfig();
    const store = new LmdbHistoryStore(config, silentLogger, new Meter());
    store.kept('log', 'exact', event(1, 1_000));
    store.kept('log', 'exact', event(2, 2_000));
    await store.close();
    const raw = open({ path: config.path, noSubdir: false });
    const events = raw.openDB<Uint8Array, Key>({ name: 'events', encoding: 'binary' });
    await events.put(['log', 'exact', 3], new Uint8Array([0xc1])); // 0xc1 is never used in MessagePack
    await events.put(['log', 'exact', 4], encodeEntry(event(5, 4_000))); // its publication is not its key's
    await events.put(['log', 'bogus', 6], encodeEntry(event(6, 6_000)));
    await events.put('not a key of ours', encodeEntry(event(7, 7_000)));
    await events.put(['log', 'exact', 8], encodeEntry({ ...event(8, 8_000), time: 'yesterday' } as unknown as CopiedEvent));
    await raw.close();

    const meter = new Meter();
    const log = new CaptureLog();
    const reopened = new LmdbHistoryStore(config, log, meter);
    assert.deepEqual(reopened.load()[0]!.events.map((copy) => copy.event.publication), [1, 2]);
    assert.equal(meter.unreadableEntries, 5);
    const warning = log.lines.find((line) => line.level === 'warn');
    assert.match(warning?.message ?? '', /cannot be read/);
    assert.equal((warning?.fields as { unreadable: number }).unreadable, 5);
    await reopened.close();
    const again = new Meter();
    const cleaned = new LmdbHistoryStore(config, silentLogger, again);
    assert.deepEqual(cleaned.load()[0]!.events.map((copy) => copy.event.publication), [1, 2]);
    assert.equal(again.unreadableEntries, 0, 'the unreadable entries were removed');
    await cleaned.close();
  });

  it('read-only: reads what was kept and writes nothing', async () => {
    const config = fileConfig();
    const writer = new LmdbHistoryStore(config, silentLogger, new Meter());
    writer.kept('log', 'exact', event(1, 1_000));
    await writer.close();
    const reader = new LmdbHistoryStore({ ...config, readonly: true }, silentLogger, new Meter());
    assert.deepEqual(reader.load()[0]!.events.map((copy) => copy.event.publication), [1]);
    reader.kept('log', 'exact', event(2, 2_000));
    reader.dropped('log', 'exact', 1);
    await reader.close();
    const check = new LmdbHistoryStore(config, silentLogger, new Meter());
    assert.deepEqual(check.load()[0]!.events.map((copy) => copy.event.publication), [1]);
    await check.close();
  });
});
