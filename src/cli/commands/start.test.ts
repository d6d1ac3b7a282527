import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runJunction } from '../../../test/support/cli.js';

/** A router with one forwarder: its outbox lives in the data folder. */
const withForwarder = JSON.stringify({
  version: 2,
  workers: [{
    type: 'router',
    realms: [{ name: 'realm1', roles: [{ name: 'anonymous', permissions: [] }] }],
    transports: [{ type: 'websocket', endpoint: { type: 'tcp', port: 0, interface: '127.0.0.1' } }],
    components: [{ type: 'class', id: 'news', classname: 'MessageForwarder', realm: 'realm1', extra: { subscriptions: [{ topic: 'news', url: 'http://127.0.0.1:9/news' }] } }],
  }],
});

describe('junction start --data-dir', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'junction-start-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a folder that cannot be made (under /proc) fails the start at once, naming it and --data-dir (exit 1)', { skip: !existsSync('/proc/self') && 'no /proc here' }, async () => {
    const config = join(dir, 'config.json');
    await writeFile(config, withForwarder);
    const result = await runJunction(['start', '--config', config, '--data-dir', '/proc/junction-data']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^junction start: cannot start: cannot create the folder \/proc\/junction-data \(on the way to \/proc\/junction-data\/forwarder\/news\) for durable state: .*--data-dir.* \[data_dir_unusable\]$/m);
    assert.doesNotMatch(result.stdout, /cannot start/);
  });
});

describe('junction start on a port in use', () => {
  it('says so once, as the plain line with its code that other start errors use, and no JSON log line repeats it (exit 1)', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const result = await runJunction(['start', '--host', '127.0.0.1', '--port', String(port)]);
      assert.equal(result.code, 1);
      const said = `${result.stdout}${result.stderr}`.match(/already in use/g) ?? [];
      assert.equal(said.length, 1, `said once: ${result.stdout}${result.stderr}`);
      assert.match(result.stderr, new RegExp(`^junction start: cannot start: port ${port} on 127\\.0\\.0\\.1 is already in use \\(transport "transport0"\\): stop the program using it, or choose another port with --port .* \\[port_in_use\\]$`, 'm'));
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
