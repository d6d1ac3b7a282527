import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
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
    assert.match(result.stderr, /^junction start: cannot start: cannot create the folder \/proc\/junction-data \(on the way to \/proc\/junction-data\/forwarder\/news\) for durable state: .*--data-dir/m);
    assert.match(result.stdout, /"code":"data_dir_unusable"/);
  });
});
