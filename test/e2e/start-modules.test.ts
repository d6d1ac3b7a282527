import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freePort, junctionBin, projectRoot, RunningJunction, runJunction, STARTUP_MS } from '../support/cli.js';

/**
 * `junction start` loads the module of a door, a path service, a component kind, a store or the
 * cluster only when its configuration has that feature (src/node/on-demand.ts): the real CLI runs
 * with module hooks (fixtures/module-trace) that write down every module it loads.
 */

const register = pathToFileURL(fileURLToPath(new URL('../fixtures/module-trace/register.js', import.meta.url))).href;

/** Modules of features the embedded default does not have, each with what needs it. */
const notInTheDefault: Record<string, string> = {
  'node_modules/lmdb/': 'event history and cookie files, and the --workers shared cookie store',
  'node_modules/ioredis/': 'a Redis cluster',
  'node_modules/zeromq/': 'the zeromq component',
  'node_modules/yauzl/': 'archive paths',
  'node_modules/undici/': 'archive downloads',
  'node_modules/busboy/': 'upload paths',
  'node_modules/mqtt-packet/': 'MQTT',
  'dist/src/transport/mqtt/': 'MQTT',
  'dist/src/transport/pusher/': 'Pusher',
  'dist/src/node/pusher/': 'Pusher',
  'dist/src/node/rlink/router-link': 'router links (only rlink-metrics.js: their metrics are exported without links too)',
  'dist/src/client/': 'router links (they sign in as clients)',
  'dist/src/node/history/lmdb-history-store.js': 'event history files',
  'dist/src/auth/cookie/file-store.js': 'cookie files',
  'dist/src/node/cluster/backplane-choice.js': 'a cluster or --workers',
  'dist/src/node/cluster/redis-': 'a Redis cluster',
  'dist/src/node/cluster/workers.js': 'the --workers parent',
  'dist/src/node/reload/apply.js': 'a reload',
  'dist/src/node/bridge/forwarder/': 'forwarder components',
  'dist/src/node/bridge/zeromq/': 'the zeromq component',
  'dist/src/node/bridge/rest-callee/': 'REST callee components',
  'dist/src/node/bridge/process/': 'process components',
  'dist/src/node/web/upload/': 'upload paths',
  'dist/src/node/web/cgi/': 'CGI paths',
  'dist/src/node/web/archive-': 'archive paths',
  'dist/src/node/web/static.js': 'static paths',
  'dist/src/node/web/python-app-path.js': 'WSGI paths',
  'dist/src/node/web/reverseproxy-path.js': 'reverse proxy paths',
  'dist/src/node/pseudo-listeners.js': 'test transports',
};

/** Each module the trace file names, with the chain of modules that imported it (nearest first), relative to the project. */
function loadedModules(traceFile: string): Map<string, string[]> {
  const importer = new Map<string, string>();
  for (const line of readFileSync(traceFile, 'utf8').split('\n')) {
    const [url, parent] = line.split('\t');
    if (url?.startsWith('file:') && !importer.has(url)) importer.set(url, parent ?? '');
  }
  const name = (url: string): string => relative(projectRoot, fileURLToPath(url));
  return new Map([...importer.keys()].map((url) => {
    const chain: string[] = [];
    for (let parent = importer.get(url); parent?.startsWith('file:') && chain.length < 20; parent = importer.get(parent)) chain.push(name(parent));
    return [name(url), chain];
  }));
}

/** The modules under `prefixes` that were loaded, each as "module (needed by FEATURE), imported by A <- B <- ...". */
function offenders(loaded: Map<string, string[]>, prefixes: Record<string, string>): string[] {
  return [...loaded].flatMap(([module, chain]) => Object.entries(prefixes)
    .filter(([prefix]) => module.startsWith(prefix))
    .map(([, feature]) => `${module} (for ${feature}), imported by ${chain.join(' <- ')}`));
}

let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'junction-start-modules-'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The environment of a junction process whose modules are traced to `traceFile`; `missing`: a package it cannot find. */
function tracing(traceFile: string, missing?: string): NodeJS.ProcessEnv {
  return { JUNCTION_MODULE_TRACE: traceFile, ...(missing && { JUNCTION_MODULE_MISSING: missing }), NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${register}`.trim() };
}

function startTraced(args: string[], traceFile: string, cwd: string): RunningJunction {
  return RunningJunction.start(args, cwd, tracing(traceFile));
}

describe('what junction start loads', () => {
  it('the embedded default loads no module of a feature it does not have', async () => {
    const cwd = join(dir, 'default');
    await mkdir(cwd);
    const trace = join(dir, 'default.trace');
    const junction = startTraced(['--port', '0'], trace, cwd);
    try {
      await junction.started((line) => line.msg === 'listening' && line.service === 'websocket');
    } finally {
      junction.child.kill('SIGINT');
      assert.equal(await junction.waitForExit(), 0, junction.stderr);
    }
    const loaded = loadedModules(trace);
    // The trace works: what the default serves is there.
    for (const needed of ['dist/src/node/web/websocket-path.js', 'dist/src/node/web/sse-path.js', 'node_modules/ws/wrapper.mjs']) {
      assert.ok(loaded.has(needed), `${needed} is not in the trace of ${loaded.size} modules`);
    }
    assert.deepEqual(offenders(loaded, notInTheDefault), []);
  });

  it('a reload that adds an MQTT transport and a static path loads their modules then, and serves both', async () => {
    const folder = join(dir, 'reload');
    await mkdir(join(folder, 'site'), { recursive: true });
    await writeFile(join(folder, 'site', 'hello.txt'), 'hello from a static path\n');
    const [webPort, mqttPort] = [await freePort(), await freePort()];
    const configPath = join(folder, 'config.json');
    const pidFile = join(folder, 'junction.pid');
    const config = (reloaded: boolean): string => JSON.stringify({
      version: 2,
      workers: [{
        type: 'router',
        realms: [{ name: 'realm1', roles: [{ name: 'anonymous', permissions: [{ uri: '', match: 'prefix', allow: { call: true, register: true, publish: true, subscribe: true } }] }] }],
        transports: [
          { type: 'web', endpoint: { type: 'tcp', interface: '127.0.0.1', port: webPort }, paths: { ws: { type: 'websocket' }, ...(reloaded && { site: { type: 'static', directory: 'site' } }) } },
          ...(reloaded ? [{ type: 'mqtt', endpoint: { type: 'tcp', interface: '127.0.0.1', port: mqttPort }, options: { realm: 'realm1' } }] : []),
        ],
      }],
    });
    await writeFile(configPath, config(false));
    const trace = join(dir, 'reload.trace');
    const junction = startTraced(['--config', configPath, '--pid-file', pidFile], trace, folder);
    try {
      await junction.started((line) => /control socket/.test(line.msg));
      const mqttAndStatic = { 'node_modules/mqtt-packet/': 'MQTT', 'dist/src/node/mqtt-listener.js': 'MQTT', 'dist/src/node/web/static.js': 'static paths' };
      assert.deepEqual(offenders(loadedModules(trace), mqttAndStatic), [], 'loaded before the configuration has them');

      await writeFile(configPath, config(true));
      const result = await runJunction(['reload', '--pid-file', pidFile], 60_000);
      assert.equal(result.code, 0, `${result.stdout}${result.stderr}`);
      assert.equal(offenders(loadedModules(trace), mqttAndStatic).length, 3, 'the reload loaded the MQTT door and the static path');

      const page = await fetch(`http://127.0.0.1:${webPort}/site/hello.txt`);
      assert.equal(page.status, 200);
      assert.equal(await page.text(), 'hello from a static path\n');
      assert.deepEqual(await mqttConnack(mqttPort), Buffer.from([0x20, 0x02, 0x00, 0x00]));
    } finally {
      junction.child.kill('SIGINT');
      assert.equal(await junction.waitForExit(), 0, junction.stderr);
    }
    assert.equal(existsSync(pidFile), false);
  });

  it('a configured feature whose module cannot be loaded: check passes, start refuses naming the feature, where it is and why', async () => {
    const folder = join(dir, 'missing');
    await mkdir(folder);
    const configPath = join(folder, 'config.json');
    await writeFile(configPath, JSON.stringify({
      version: 2,
      workers: [{
        type: 'router',
        realms: [{ name: 'realm1', roles: [{ name: 'anonymous', permissions: [{ uri: '', match: 'prefix', allow: { publish: true, subscribe: true } }] }] }],
        transports: [{ type: 'mqtt', id: 'devices', endpoint: { type: 'tcp', interface: '127.0.0.1', port: 0 }, options: { realm: 'realm1' } }],
      }],
    }));
    const env = tracing(join(dir, 'missing.trace'), 'mqtt-packet');
    const checked = await runJunction(['check', '--config', configPath], STARTUP_MS, folder, junctionBin, env);
    assert.equal(checked.code, 0, checked.stdout + checked.stderr);
    const started = await runJunction(['start', '--config', configPath], STARTUP_MS, folder, junctionBin, env);
    assert.equal(started.code, 1, started.stdout + started.stderr);
    assert.match(started.stderr, /^junction start: cannot start: transport "devices": the MQTT transport cannot be loaded: Cannot find package 'mqtt-packet' \(the test hid it\) \[module_unloadable\]$/m);
  });
});

/** The first 4 bytes the server answers an MQTT 3.1.1 CONNECT (clean session, empty client id) with: CONNACK, accepted. */
function mqttConnack(port: number): Promise<Buffer> {
  const connectPacket = Buffer.from([0x10, 0x0c, 0x00, 0x04, ...Buffer.from('MQTT'), 0x04, 0x02, 0x00, 0x3c, 0x00, 0x00]);
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(connectPacket));
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no CONNACK within 30 s; received ${received.toString('hex')}`));
    }, 30_000);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 4) return;
      clearTimeout(timer);
      socket.destroy();
      resolve(received.subarray(0, 4));
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
