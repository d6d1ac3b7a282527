import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { freePort, RunningJunction } from '../support/cli.js';
import { cookieRouterConfig } from '../support/cookie-client.js';

/**
 * `--workers 2` says each warning about the configuration once, as one process does: every worker
 * builds the same paths, and only the first one logs what is wrong with them; the parent says the
 * file's notices, and what it says of the environment (Crossbar FX's CROSSBAR_FABRIC_URL).
 */

const home = mkdtempSync(join(tmpdir(), 'junction-workers-warnings-'));
const running: RunningJunction[] = [];
after(() => {
  running.forEach((junction) => junction.kill());
  rmSync(home, { recursive: true, force: true });
});

const missing = join(home, 'missing');

/** A console open to anonymous, a cookie path open to any origin, a static and a CGI path whose folders (and processor) do not exist. */
function configFile(): string {
  const config = cookieRouterConfig({}, {
    console: { type: 'console', realm: 'shop', auth: { anonymous: { type: 'static', role: 'customer' } } },
    files: { type: 'static', directory: missing },
    cgi: { type: 'cgi', directory: missing, processor: join(missing, 'python3') },
  }) as { workers: [{ transports: [{ paths: { ws: { options?: object } } }] }] };
  config.workers[0].transports[0].paths.ws.options = { allowed_origins: ['*'] };
  const path = join(home, 'config.json');
  writeFileSync(path, JSON.stringify(config));
  return path;
}

const expected = [
  /the console at \/console lets anyone who reaches it sign in anonymously/,
  /path "\/files".*does not exist/,
  /the CGI directory .* does not exist/,
  /the CGI processor cannot be run/,
  /allowed_origins/,
];

describe('junction start --workers 2: warnings about the configuration', { timeout: 90_000 }, () => {
  it('each appears once, from the first worker, while both workers serve', async () => {
    const port = await freePort();
    const junction = RunningJunction.start(['--config', configFile(), '--host', '127.0.0.1', '--port', String(port), '--workers', '2', '--data-dir', join(home, 'data')],
      undefined, { CROSSBAR_FABRIC_URL: 'wss://ops:uplink-secret@master.example:9000/ws' });
    running.push(junction);
    for (const node of ['w1', 'w2']) await junction.started((line) => line.msg === 'worker serving' && line.node === node);
    const warnings = junction.lines.filter((line) => line.level === 40);
    for (const pattern of expected) {
      const lines = warnings.filter((line) => pattern.test(line.msg));
      assert.equal(lines.length, 1, `${pattern}: ${JSON.stringify(lines)}`);
      assert.equal(lines[0]!.node, 'w1');
      assert.equal(lines[0]!.about, 'config');
    }
    const counts = new Map<string, number>();
    for (const line of warnings) counts.set(line.msg, (counts.get(line.msg) ?? 0) + 1);
    assert.deepEqual([...counts].filter(([, count]) => count > 1), [], 'a warning logged more than once');
    // Crossbar FX's uplink variable: said by the parent, once, without its URL (it may hold a password).
    const uplink = warnings.filter((line) => line.msg.includes('$CROSSBAR_FABRIC_URL is set, but Junction has no management uplink'));
    assert.equal(uplink.length, 1, JSON.stringify(uplink));
    assert.equal(uplink[0]!.node, undefined);
    assert.ok(!junction.lines.some((line) => JSON.stringify(line).includes('uplink-secret')));
    // The file's notices are the parent's, once.
    const notices = junction.lines.filter((line) => line.msg.endsWith('[config.notice.cookie_any_origin]'));
    assert.equal(notices.length, 1, JSON.stringify(notices));
    assert.equal(notices[0]!.node, undefined);
  });
});
