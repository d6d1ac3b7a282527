import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runJunction } from '../../../test/support/cli.js';
import { standInJunction } from '../../../test/support/stand-in-junction.js';

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
  let blocker: Server;
  let port: number;
  before(async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    port = (blocker.address() as { port: number }).port;
  });
  after(async () => {
    await new Promise((resolve) => blocker.close(resolve));
  });

  it('says so once, as the plain line with its code that other start errors use, and no JSON log line repeats it (exit 1)', async () => {
    const result = await runJunction(['start', '--host', '127.0.0.1', '--port', String(port)]);
    assert.equal(result.code, 1);
    const said = `${result.stdout}${result.stderr}`.match(/already in use/g) ?? [];
    assert.equal(said.length, 1, `said once: ${result.stdout}${result.stderr}`);
    assert.match(result.stderr, / \[port_in_use\]$/m);
  });

  it('with the embedded default names only --port: there is no config whose transport the user could change', async () => {
    const result = await runJunction(['start', '--host', '127.0.0.1', '--port', String(port)]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, new RegExp(`^junction start: cannot start: port ${port} on 127\\.0\\.0\\.1 is already in use: stop the program using it, or choose another port with --port \\[port_in_use\\]$`, 'm'));
  });

  it('with a config names the transport and both --port and its endpoint.port', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'junction-start-'));
    try {
      const config = join(dir, 'config.json');
      await writeFile(config, withForwarder.replace('"port":0', `"port":${port}`));
      const result = await runJunction(['start', '--config', config]);
      assert.equal(result.code, 1);
      assert.match(result.stderr, new RegExp(`^junction start: cannot start: port ${port} on 127\\.0\\.0\\.1 is already in use \\(transport "transport0"\\): stop the program using it, or choose another port with --port \\(first transport\\) or transport "transport0"'s endpoint\\.port in the config \\[port_in_use\\]$`, 'm'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('junction start --cbdir DIR --config FILE', () => {
  it('reads FILE inside DIR, as Crossbar (crossbar-examples: crossbar start --config config5.json beside .crossbar/)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'junction-start-cbdir-'));
    try {
      // A config that stops the start with a problem naming its file: the one inside DIR.
      await writeFile(join(dir, 'config5.json'), JSON.stringify({ version: 2, workers: [{ type: 'router', realms: 'none' }] }));
      const result = await runJunction(['start', '--cbdir', dir, '--config', 'config5.json']);
      assert.equal(result.code, 1, result.stderr);
      assert.ok(result.stderr.includes(`${join(dir, 'config5.json')}:`), result.stderr);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('junction start --config NAME beside .crossbar/', () => {
  it('reads .crossbar/NAME when ./NAME is not there, as Crossbar (crossbar-examples: crossbar start --config config5.json)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'junction-start-bare-'));
    try {
      await mkdir(join(dir, '.crossbar'));
      // A config that stops the start with a problem naming its file: the one inside .crossbar.
      await writeFile(join(dir, '.crossbar', 'config5.json'), JSON.stringify({ version: 2, workers: [{ type: 'router', realms: 'none' }] }));
      const result = await runJunction(['start', '--config', 'config5.json'], undefined, dir);
      assert.equal(result.code, 1, result.stderr);
      assert.ok(result.stderr.includes(`${join(dir, '.crossbar', 'config5.json')}:`), result.stderr);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('junction start while another node holds its pid file', () => {
  it('is refused before anything listens, naming the PID, with and without --workers; the file is left alone (exit 1)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'junction-start-held-'));
    const other = await standInJunction();
    try {
      await writeFile(join(dir, 'config.json'), withForwarder);
      const held = JSON.stringify({ pid: other.pid });
      await writeFile(join(dir, 'node.pid'), held);
      const refused = await runJunction(['start', `--cbdir=${dir}`]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, new RegExp(`^junction start: cannot start: a node is already running from node directory ${dir} \\(PID ${other.pid}\\); stop it first: .* stop --cbdir ${dir}\\n$`));
      assert.doesNotMatch(refused.stdout, /listening|worker/);
      assert.equal(await readFile(join(dir, 'node.pid'), 'utf8'), held);

      const pidFile = join(dir, 'junction.pid');
      await writeFile(pidFile, `${other.pid}\n`);
      const workers = await runJunction(['start', '--config', join(dir, 'config.json'), '--workers', '2', '--pid-file', pidFile]);
      assert.equal(workers.code, 1);
      assert.match(workers.stderr, new RegExp(`^junction start: cannot start: the pid file ${pidFile} names process ${other.pid}, which is running; stop it \\(.* stop --pid-file ${pidFile}\\) or choose another --pid-file\\n$`));
      assert.doesNotMatch(workers.stdout, /starting workers|listening/);
    } finally {
      other.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('junction start --help', () => {
  it("names the embedded default's paths as a client writes them (the root as /, not //)", async () => {
    const result = await runJunction(['start', '--help']);
    assert.equal(result.code, 0, result.stderr);
    const paths = /and (.*) on the same port\./.exec(result.stdout)?.[1];
    assert.ok(paths !== undefined, result.stdout);
    for (const path of paths.split(', ')) assert.match(path, /^\/(?!\/)/, `"${path}" in: ${paths}`);
    assert.ok(paths.split(', ').includes('/publish'), paths);
  });
});
