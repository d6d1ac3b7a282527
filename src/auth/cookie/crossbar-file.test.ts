import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CaptureLog } from '../../../test/auth/support/capture-log.js';
import { importCrossbarCookies, readCrossbarCookies } from './crossbar-file.js';
import { FileCookieStore } from './file-store.js';
import { tokenKey } from './token.js';

const folder = mkdtempSync(join(tmpdir(), 'junction-crossbar-cookies-'));
after(() => rmSync(folder, { recursive: true, force: true }));

const now = Date.parse('2026-12-07T12:00:00.000Z');
const hourAgo = '2026-12-07T11:00:00.123Z';
const week = 7 * 86400;

/** A line as Crossbar writes it: every field, the time under "created" or "modified". */
function line(id: string, status: 'created' | 'modified', time: string, fields: Record<string, unknown> = {}): string {
  return JSON.stringify({
    id, [status]: time, max_age: week, authid: null, authrole: null, authmethod: null, authrealm: null, authextra: null, ...fields,
  });
}
const bound = (authid: string, extra: Record<string, unknown> = {}) =>
  ({ authid, authrole: 'customer', authmethod: 'wampcra', authrealm: 'shop', authextra: null, ...extra });

// Values as Crossbar makes them: standard base64, 24 characters by default.
const joe = 'AbCdEfGhIjKlMnOpQrSt+/12';
const ann = 'ZyXwVuTsRqPoNmLkJiHgFe98';
const old = 'OldOldOldOldOldOldOld000';
const never = 'NeverBoundNeverBound0000';
const guest = 'GuestGuestGuestGuest0000';
const short = 'Short1';
const unbound = 'UnboundAfterBindingXX000';

const file = [
  line(joe, 'created', hourAgo),
  line(joe, 'modified', hourAgo, bound('joe', { authextra: { tier: 'gold' } })),
  line(ann, 'created', hourAgo),
  line(ann, 'modified', hourAgo, bound('ann')),
  line(old, 'modified', '2026-11-01T00:00:00.000Z', bound('old')),
  line(never, 'created', hourAgo),
  line(guest, 'modified', hourAgo, { ...bound('anon-1'), authmethod: 'anonymous' }),
  line(short, 'modified', hourAgo, bound('short')),
  line(unbound, 'modified', hourAgo, bound('gone')),
  line(unbound, 'modified', hourAgo),
  '{"id": "truncated',
  '[1, 2]',
  '{"no_id": true}',
  '',
].join('\n');

describe('Crossbar\'s cookie file', () => {
  it('yields the live cookies whose last line binds them, under our hash of the value, with realm and authextra', () => {
    const { cookies, counts } = readCrossbarCookies(file, now);
    const byKey = new Map(cookies.map(({ key, entry }) => [key, entry]));
    assert.equal(byKey.size, 2);
    assert.deepEqual(byKey.get(tokenKey(joe)), {
      expires: Date.parse(hourAgo) + week * 1000,
      binding: { authid: 'joe', authrole: 'customer', authmethod: 'wampcra', realm: 'shop', authextra: { tier: 'gold' } },
    });
    assert.deepEqual(byKey.get(tokenKey(ann))?.binding, { authid: 'ann', authrole: 'customer', authmethod: 'wampcra', realm: 'shop' });
    assert.ok(!cookies.some(({ key }) => [joe, ann].includes(key)), 'a plaintext value is kept');
    assert.deepEqual(counts, { lines: 13, malformed: 3, bound: 5, expired: 1, anonymous: 1, noRealm: 0, unusable: 1, badTime: 0 });
  });

  it('lines of an older Crossbar without authrealm are counted and left out; an unreadable time too', () => {
    const older = JSON.stringify({ id: joe, modified: hourAgo, max_age: week, authid: 'joe', authrole: 'customer', authmethod: 'wampcra' });
    const badTime = line(ann, 'modified', 'yesterday', bound('ann'));
    const { cookies, counts } = readCrossbarCookies(`${older}\n${badTime}\n`, now);
    assert.deepEqual(cookies, []);
    assert.equal(counts.noRealm, 1);
    assert.equal(counts.badTime, 1);
  });

  it('is imported into the lmdb store once, in one log line, without touching Crossbar\'s file; a second start imports nothing', async () => {
    const crossbarFile = join(folder, 'cookies.dat');
    writeFileSync(crossbarFile, file);
    const log = new CaptureLog();
    const store = new FileCookieStore(`${crossbarFile}.lmdb`, 100, log);
    importCrossbarCookies(store, crossbarFile, log, now);
    assert.equal(store.get(tokenKey(joe), now)?.binding.authid, 'joe');
    assert.equal(store.get(tokenKey(ann), now)?.binding.authid, 'ann');
    assert.equal(store.size, 2);
    const reports = log.lines.filter((entry) => entry.message.includes('Crossbar'));
    assert.equal(reports.length, 1);
    assert.equal(reports[0]!.level, 'info');
    assert.deepEqual({ ...reports[0]!.fields }, {
      file: crossbarFile, lines: 13, malformed: 3, bound: 5, expired: 1, anonymous: 1, noRealm: 0, unusable: 1, badTime: 0, imported: 2, noRoom: 0, present: 0,
    });
    assert.ok(!log.text().includes(joe), 'a cookie value reached the log');
    assert.equal(readFileSync(crossbarFile, 'utf8'), file);

    store.forget(tokenKey(ann));
    await store.close();
    const again = new FileCookieStore(`${crossbarFile}.lmdb`, 100, log);
    importCrossbarCookies(again, crossbarFile, log, now);
    assert.equal(again.get(tokenKey(ann), now), undefined, 'the import was repeated');
    assert.equal(log.lines.filter((entry) => entry.message.includes('Crossbar')).length, 1);
    await again.close();
  });

  it('fills only the room under max_entries, the latest-expiring first, and keeps a binding already in the store', async () => {
    const crossbarFile = join(folder, 'full.dat');
    writeFileSync(crossbarFile, [
      line(joe, 'modified', '2026-12-07T10:00:00.000Z', bound('joe')),
      line(ann, 'modified', '2026-12-07T11:00:00.000Z', bound('ann')),
      line(never, 'modified', '2026-12-07T09:00:00.000Z', bound('never')),
    ].join('\n'));
    const log = new CaptureLog();
    const store = new FileCookieStore(`${crossbarFile}.lmdb`, 2, log);
    const newer = { expires: now + 1_000, binding: { authid: 'joe-again', authrole: 'customer', authmethod: 'ticket', realm: 'shop' } };
    store.put(tokenKey(joe), newer, now);
    importCrossbarCookies(store, crossbarFile, log, now);
    assert.deepEqual(store.get(tokenKey(joe), now), newer);
    assert.equal(store.get(tokenKey(ann), now)?.binding.authid, 'ann');
    assert.equal(store.get(tokenKey(never), now), undefined);
    assert.equal(store.size, 2);
    assert.equal(store.evicted, 0);
    const report = log.lines.find((entry) => entry.message.includes('Crossbar'))!;
    assert.deepEqual([report.fields.imported, report.fields.noRoom, report.fields.present], [1, 1, 1]);
    await store.close();
  });

  it('a missing file imports nothing and is looked for again at the next start', async () => {
    const crossbarFile = join(folder, 'later.dat');
    const log = new CaptureLog();
    const store = new FileCookieStore(`${crossbarFile}.lmdb`, 10, log);
    importCrossbarCookies(store, crossbarFile, log, now);
    assert.deepEqual(log.lines, []);
    writeFileSync(crossbarFile, line(ann, 'modified', hourAgo, bound('ann')));
    importCrossbarCookies(store, crossbarFile, log, now);
    assert.equal(store.get(tokenKey(ann), now)?.binding.authid, 'ann');
    await store.close();
  });
});
