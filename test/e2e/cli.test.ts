import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { after, describe, it } from 'node:test';
import { openAutobahn } from '../support/autobahn.js';
import { freePort, junctionBin, projectRoot, RunningJunction, runJunction } from '../support/cli.js';
import { openssl, selfSignedCertificate, skipTls } from '../support/tls.js';
import { spawnOwned } from '../support/processes.js';

const running: RunningJunction[] = [];
after(() => running.forEach((junction) => junction.kill()));

function start(args: string[]): RunningJunction {
  const junction = RunningJunction.start(args);
  running.push(junction);
  return junction;
}

describe('junction CLI', () => {
  it('prints its version', async () => {
    const result = await runJunction(['version']);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^junction \d+\.\d+\.\d+/);
  });

  it('runs the embedded default, serves AutobahnJS, and shuts down cleanly on SIGTERM', async () => {
    const port = await freePort();
    const junction = start(['--host', '127.0.0.1', '--port', String(port)]);
    const url = await junction.url();
    assert.equal(url, `ws://127.0.0.1:${port}/ws`);
    const warning = await junction.waitForLine((line) => line.level === 40 && /development default/.test(line.msg));
    assert.match(warning.msg, /realm1/);

    const subscriber = await openAutobahn(url, 'msgpack');
    const publisher = await openAutobahn(url, 'cbor');
    let deliver!: (args: unknown[]) => void;
    const received = new Promise<unknown[]>((resolve) => (deliver = resolve));
    await subscriber.session.subscribe('e2e.news', (args: unknown[]) => deliver(args));
    await publisher.session.publish('e2e.news', ['via the CLI'], {}, { acknowledge: true });
    assert.deepEqual(await received, ['via the CLI']);
    // A browser opening the bare port is led to the console.
    const root = await fetch(`http://127.0.0.1:${port}/`, { redirect: 'manual' });
    assert.equal(root.status, 302);
    assert.equal(new URL(root.headers.get('location')!, `http://127.0.0.1:${port}/`).pathname, '/console');

    junction.child.kill('SIGTERM');
    assert.equal((await subscriber.closed).reason, 'wamp.close.system_shutdown');
    assert.equal(await junction.waitForExit(), 0);
    await junction.waitForLine((line) => line.msg === 'stopped');
    // The shutdown line counts exactly the sessions that then say they left: two clients, and the
    // node's own (the meta API, the HTTP publisher and caller).
    const shutdown = junction.lines.find((line) => line.msg === 'shutting down')!;
    assert.equal(shutdown.client_sessions, 2);
    assert.equal(Number(shutdown.client_sessions) + Number(shutdown.internal_sessions), junction.lines.filter((line) => line.msg === 'session left').length);

    // The port is released.
    const probe = createServer();
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(port, '127.0.0.1', resolve);
    });
    await new Promise((resolve) => probe.close(resolve));
  });

  it('ends quietly when the reader of its output goes away (junction schema | head)', async () => {
    const child = spawnOwned(process.execPath, [junctionBin, 'schema'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.destroy();
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(stderr, '');
    assert.equal(code, 0);
  });

  it('refuses bad arguments with a usage message (exit 2)', async () => {
    const badPort = await runJunction(['start', '--port', 'eighty']);
    assert.equal(badPort.code, 2);
    assert.match(badPort.stderr, /--port must be an integer from 0 to 65535, got "eighty"/);
    const badLevel = await runJunction(['start', '--log-level', 'loud']);
    assert.equal(badLevel.code, 2);
    assert.match(badLevel.stderr, /--log-level must be one of/);
    const unknown = await runJunction(['launch']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "launch"/);
  });

  it('refuses --port and --host when the first transport listens on a Unix socket, naming it (they were ignored)', async () => {
    const { mkdtemp, rm, writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(join(tmpdir(), 'junction-unix-first-'));
    try {
      const config = join(dir, 'config.json');
      await writeFile(config, JSON.stringify({ version: 2, workers: [{ type: 'router', realms: [{ name: 'realm1', roles: [] }], transports: [
        { type: 'rawsocket', id: 'local', endpoint: { type: 'unix', path: join(dir, 'j.sock') } },
        { type: 'websocket', id: 'public', endpoint: { type: 'tcp', port: 8080 } },
      ] }] }));
      for (const option of [['--port', '18999'], ['--host', '127.0.0.1']]) {
        const result = await runJunction(['start', '--config', config, ...option]);
        assert.equal(result.code, 1);
        assert.match(result.stderr, new RegExp(`${option[0]} overrides the first transport's TCP endpoint, but transport "local" listens on the Unix socket`));
        assert.doesNotMatch(result.stdout + result.stderr, /listening/);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('says clearly when the port is taken or the config file is missing (exit 1)', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const busy = await runJunction(['start', '--host', '127.0.0.1', '--port', String(port)]);
      assert.equal(busy.code, 1);
      assert.match(busy.stderr, new RegExp(`port ${port} on 127.0.0.1 is already in use: .*--port`));
      // The embedded default has no config: the message names no transport and no endpoint.port.
      assert.doesNotMatch(busy.stderr, /transport0|endpoint\.port/);
      // It fails before anything starts: no internal session joins and leaves first.
      assert.doesNotMatch(busy.stdout + busy.stderr, /session joined|session left/);
      assert.match(busy.stderr, / \[port_in_use\]$/m);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
    const missing = await runJunction(['start', '--config', 'no-such-file.json']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no-such-file\.json/);
  });

  it('names the transport and the setting when a TLS file is missing or is not a key (exit 1)', async () => {
    const { mkdtemp, rm, writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(join(tmpdir(), 'junction-tls-'));
    try {
      const config = join(dir, 'config.json');
      const tlsConfig = (tls: unknown) => JSON.stringify({ version: 2, workers: [{ type: 'router', realms: [{ name: 'realm1', roles: [{ name: 'anonymous', permissions: [] }] }],
        transports: [{ id: 'secure', type: 'websocket', endpoint: { type: 'tcp', port: 0, interface: '127.0.0.1', tls } }] }] });
      await writeFile(config, tlsConfig({ key: 'server.key', certificate: 'server.crt' }));
      const missing = await runJunction(['start', '--config', config]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, new RegExp(`transport "secure": cannot read its endpoint\\.tls\\.key ${join(dir, 'server.key').replace(/\./g, '\\.')}: no such file`));
      assert.match(missing.stderr, / \[tls_file_unreadable\]$/m);

      await writeFile(join(dir, 'server.key'), 'not a key\n');
      await writeFile(join(dir, 'server.crt'), 'not a certificate\n');
      const garbage = await runJunction(['start', '--config', config]);
      assert.equal(garbage.code, 1);
      assert.match(garbage.stderr, new RegExp(`transport "secure": its endpoint\\.tls\\.key ${join(dir, 'server.key').replace(/\./g, '\\.')} is not a PEM private key \\(no "-----BEGIN" line\\) \\[tls_invalid\\]$`, 'm'));
      assert.match(garbage.stderr, / \[tls_invalid\]$/m);
      assert.doesNotMatch(garbage.stdout + garbage.stderr, /session joined/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
  it('names each TLS file that is not usable, its setting and what is wrong, one line each, in check and start (exit 1), quoting no key', { skip: skipTls }, async () => {
    const { mkdtemp, readFile, rm, writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(join(tmpdir(), 'junction-tls-files-'));
    try {
      selfSignedCertificate(dir);
      openssl('pkey', '-in', join(dir, 'server.key'), '-aes256', '-passout', 'pass:pw', '-out', join(dir, 'locked.key'));
      await writeFile(join(dir, 'ca.crt'), await readFile(join(dir, 'server.key')));
      const backend = { type: 'websocket', url: 'wss://localhost:9000/', endpoint: { type: 'tcp', host: '127.0.0.1', port: 9000, tls: { hostname: 'localhost', ca_certificates: ['backend-ca.crt'] } } };
      await writeFile(join(dir, 'backend-ca.crt'), 'not a certificate\n');
      const config = join(dir, 'config.json');
      await writeFile(config, JSON.stringify({ version: 2, workers: [{ type: 'router', realms: [{ name: 'realm1', roles: [{ name: 'anonymous', permissions: [] }] }],
        transports: [{ id: 'secure', type: 'web', endpoint: { type: 'tcp', port: 0, interface: '127.0.0.1', tls: { key: 'locked.key', certificate: 'server.crt', ca_certificates: ['ca.crt'] } },
          paths: { '/': { type: 'static', directory: '.' }, proxy: { type: 'websocket-reverseproxy', backend } } }] }] }));
      const lines = [
        `transport "secure": its endpoint.tls.key ${join(dir, 'locked.key')} is protected by a passphrase, which Junction is not given: write the key without one (openssl pkey -in KEY -out NEW_KEY) and keep that file readable only by the node's user [tls_invalid]`,
        `transport "secure": its endpoint.tls.ca_certificates ${join(dir, 'ca.crt')} is not a PEM certificate (it holds a private key) [tls_invalid]`,
        `transport "secure" path "/proxy": its backend.endpoint.tls.ca_certificates ${join(dir, 'backend-ca.crt')} is not a PEM certificate (no "-----BEGIN" line) [tls_invalid]`,
      ];
      const check = await runJunction(['check', '--config', config]);
      assert.equal(check.code, 1, check.stdout);
      assert.equal(check.stderr, `${config}: 3 problems\n${lines.map((line) => `${config}: ${line}\n`).join('')}`);
      const started = await runJunction(['start', '--config', config]);
      assert.equal(started.code, 1, started.stdout);
      assert.ok(started.stderr.includes(lines[0]!.replace(' [tls_invalid]', '')), started.stderr);
      const keyLines = (await readFile(join(dir, 'locked.key'), 'utf8')).split('\n').filter((line) => line.length > 20);
      for (const output of [check, started]) assert.ok(keyLines.every((line) => !`${output.stdout}${output.stderr}`.includes(line)), 'no line of the key is shown');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
  it('says weak TLS dhparam in its own format, naming the file, in check and start (no raw Node SecurityWarning)', { skip: skipTls }, async () => {
    const { mkdtemp, rm, writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(join(tmpdir(), 'junction-dh-'));
    try {
      selfSignedCertificate(dir);
      // 1024 bits: Node's TLS accepts it with a SecurityWarning (under 1024 it refuses: tls_invalid).
      openssl('dhparam', '-dsaparam', '-out', join(dir, 'dh1024.pem'), '1024');
      const config = join(dir, 'config.json');
      await writeFile(config, JSON.stringify({ version: 2, workers: [{ type: 'router', realms: [{ name: 'realm1', roles: [{ name: 'anonymous', permissions: [] }] }],
        transports: [{ id: 'secure', type: 'websocket', endpoint: { type: 'tcp', port: 0, interface: '127.0.0.1', tls: { key: 'server.key', certificate: 'server.crt', dhparam: 'dh1024.pem' } } }] }] }));
      const said = `transport "secure": endpoint.tls.dhparam ${join(dir, 'dh1024.pem')}: DH parameter is less than 2048 bits, which is weak; ` +
        `make 2048-bit parameters with "openssl dhparam -out ${join(dir, 'dh1024.pem')} 2048"`;

      const check = await runJunction(['check', '--config', config]);
      assert.equal(check.code, 0, check.stderr);
      assert.ok(check.stdout.includes(`  warning: ${said}`), check.stdout);
      assert.equal(check.stderr, '');

      const junction = start(['--config', config]);
      const warning = await junction.waitForLine((line) => line.level === 40 && /dhparam/.test(String(line.msg)));
      assert.ok(String(warning.msg).startsWith(said), String(warning.msg));
      await junction.url();
      junction.child.kill('SIGTERM');
      await junction.waitForExit();
      assert.doesNotMatch(junction.stderr, /SecurityWarning|DH parameter/);
      assert.equal(junction.lines.filter((line) => /DH parameter/.test(String(line.msg))).length, 1, 'said once, by the listener');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('junction init, check and start --cbdir', () => {
  it('writes a starter config that checks clean and runs', async () => {
    const { mkdtemp, rm, writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(join(tmpdir(), 'junction-init-'));
    try {
      const cbdir = join(dir, 'node');
      const init = await runJunction(['init', cbdir]);
      assert.equal(init.code, 0, init.stderr);
      const again = await runJunction(['init', cbdir]);
      assert.equal(again.code, 1, 'init never overwrites');
      // The check command init prints runs as printed, from the folder init ran in (no global install here).
      const printed = /^  check it:  (.+)$/m.exec(init.stdout)?.[1];
      assert.equal(printed, `node bin/junction.js check --cbdir ${cbdir}`);
      const check = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile('/bin/sh', ['-c', printed], { cwd: projectRoot, timeout: 15_000 }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
      });
      assert.equal(check.code, 0, check.stdout + check.stderr);
      assert.match(check.stdout, /ok/);

      const port = await freePort();
      const junction = start(['--cbdir', cbdir, '--host', '127.0.0.1', '--port', String(port)]);
      const url = await junction.url();
      assert.equal(url, `ws://127.0.0.1:${port}/ws`);
      // The README's HTTP paths answer as they do on the embedded default.
      const base = `http://127.0.0.1:${port}`;
      const client = await openAutobahn(url);
      try {
        let deliver!: (args: unknown[]) => void;
        const heard = new Promise<unknown[]>((resolve) => (deliver = resolve));
        await client.session.subscribe('chat.room1', (args: unknown[]) => deliver(args));
        await client.session.register('com.example.add', (args: number[]) => args[0]! + args[1]!);
        const post = (path: string, body: unknown) => fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        const published = await post('/publish', { topic: 'chat.room1', args: ['hi'] });
        assert.equal(published.status, 200);
        assert.equal(typeof ((await published.json()) as { id: unknown }).id, 'number');
        assert.deepEqual(await heard, ['hi']);
        assert.deepEqual(await (await post('/call', { procedure: 'com.example.add', args: [2, 3] })).json(), { args: [5] });
        assert.deepEqual(await (await fetch(`${base}/health`)).json(), { status: 'serving' });
        assert.match(await (await fetch(`${base}/metrics`)).text(), /^junction_sessions\{origin="client",realm="realm1"\} 1$/m);
        assert.equal((await fetch(`${base}/info`)).status, 200);
      } finally {
        await client.close();
      }
      junction.child.kill('SIGTERM');
      assert.equal(await junction.waitForExit(), 0);

      const broken = join(dir, 'broken.json');
      await writeFile(broken, JSON.stringify({
        version: 2,
        workers: [{ type: 'router', realms: [{ name: 'r', rolez: [] }], transports: [{ type: 'websocket', endpoint: { type: 'tcp', port: 'eighty' } }] }],
      }, null, 2));
      const bad = await runJunction(['check', '--config', broken]);
      assert.equal(bad.code, 1);
      assert.match(bad.stdout + bad.stderr, /workers\[0\]\.realms\[0\]\.rolez: unknown key "rolez"/);
      assert.match(bad.stdout + bad.stderr, /workers\[0\]\.transports\[0\]\.endpoint\.port/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
