import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Agent, fetch } from 'undici';
import { openAutobahn, openConnection, type OpenSession } from '../support/autobahn.js';
import { freePort, junctionBin, projectRoot, runJunction, RunningJunction, type LogLine } from '../support/cli.js';
import { skipWithoutDebian } from '../support/debian.js';
import { OwnedProcess } from '../support/owned-process.js';
import { processGone, spawnOwned } from '../support/processes.js';
import { waitFor } from '../support/wait.js';

/**
 * Crossbar guest workers run by the real CLI (`junction start --cbdir`) from a Crossbar-format
 * config that is not edited for Junction: a Node.js backend on AutobahnJS that connects back and
 * registers a procedure, guests showing the env, stdin and output options, one that exits and one
 * that ignores SIGTERM; then a reload, `--workers 2` (the guest runs once), the one-line refusals,
 * and a container worker's Python class run with Autobahn|Python.
 */

const folders: string[] = [];
const running: RunningJunction[] = [];
const clients: OpenSession[] = [];
/** Guests that do not end with Junction on their own (the tests of what happens when Junction is killed). */
const orphans: OwnedProcess[] = [];
after(async () => {
  await Promise.all(clients.map((client) => client.close()));
  running.forEach((junction) => junction.kill());
  orphans.forEach((orphan) => orphan.signalGroupIfRunning('SIGKILL'));
  folders.forEach((folder) => rmSync(folder, { recursive: true, force: true }));
});

/** A test guest ends when Junction is gone, however it went (killed by the test's cleanup included). */
const endWithJunction = 'const junctionPid = process.ppid; setInterval(() => { if (process.ppid !== junctionPid) process.exit(0); }, 250);';

const autobahnPath = JSON.stringify(join(projectRoot, 'node_modules', 'autobahn'));

/** The backend: reads its settings from stdin (JSON, as the config writes them), connects, registers. */
const backend = `${endWithJunction}
let input = '';
process.stdin.on('data', (chunk) => (input += chunk));
process.stdin.on('end', () => {
  const settings = JSON.parse(input);
  const autobahn = require(${autobahnPath});
  console.log('env HOME=' + process.env.HOME + ' REALM=' + process.env.REALM + ' token=' + process.env.API_TOKEN);
  const connection = new autobahn.Connection({ url: process.env.ROUTER_URL, realm: process.env.REALM, max_retries: 0 });
  connection.onopen = (session) => {
    session.register(settings.procedure, (args) => args[0] + args[1]).then(() => console.log('registered ' + settings.procedure));
  };
  connection.open();
});
`;

function cbdirWith(config: object, files: Record<string, string>): { home: string; cbdir: string } {
  const home = mkdtempSync(join(tmpdir(), 'junction-guests-e2e-'));
  folders.push(home);
  const cbdir = join(home, '.crossbar');
  mkdirSync(cbdir);
  mkdirSync(join(home, 'app'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(home, 'app', name), text);
  writeFileSync(join(cbdir, 'config.json'), JSON.stringify(config, null, 2));
  return { home, cbdir };
}

function routerWorker(port: number): object {
  return {
    type: 'router',
    realms: [{ name: 'realm1', roles: [{ name: 'anonymous', permissions: [{ uri: '', match: 'prefix', allow: { call: true, register: true, publish: true, subscribe: true } }] }] }],
    transports: [{ type: 'websocket', endpoint: { type: 'tcp', interface: '127.0.0.1', port } }],
  };
}

const node = process.execPath;
/** Crossbar's way to keep the node running when a worker exits: it stops only when asked to. */
const keepRunning = { options: { shutdown: ['shutdown_on_shutdown_requested'] } };
const isTriggerLine = (line: LogLine) => line.msg.startsWith('a worker ended and a node shutdown trigger');
/** Its exit code, once the node stopped by itself (bounded). */
async function stoppedItself(junction: RunningJunction, timeoutMs = 30_000): Promise<number | null> {
  await waitFor(() => junction.child.exitCode !== null || junction.child.signalCode !== null, 'the node stopped by itself', timeoutMs);
  return junction.exited;
}
const guestLine = (junction: RunningJunction, guest: string, match: (line: LogLine) => boolean) => junction.waitForLine((line) => line.guest === guest && match(line), 30_000);

describe('guest workers started by junction start --cbdir', () => {
  it('run the backend, which registers through the router; env, stdin and output as configured; exits reported; a stubborn guest killed at stop', async () => {
    const port = await freePort();
    const { home, cbdir } = cbdirWith({
      version: 2,
      // The guest "failing" exits: without a shutdown trigger the node keeps running.
      controller: keepRunning,
      workers: [
        routerWorker(port),
        {
          type: 'guest', id: 'backend', executable: node, arguments: ['backend.js'],
          options: {
            workdir: '../app',
            env: { inherit: ['PATH'], vars: { ROUTER_URL: `ws://127.0.0.1:${port}/`, REALM: 'realm1', API_TOKEN: 'tok-s3cret-value' } },
            stdin: { type: 'json', value: { procedure: 'com.example.add' } },
          },
        },
        { type: 'guest', id: 'quiet', executable: node, arguments: ['-e', `${endWithJunction} console.log("stdout line"); console.error("stderr line")`], options: { stdout: 'drop', stderr: 'log' } },
        { type: 'guest', id: 'failing', executable: node, arguments: ['-e', 'console.error("cannot open database"); process.exit(2)'] },
        { type: 'guest', id: 'stubborn', executable: node, arguments: ['-e', `${endWithJunction} process.on("SIGTERM", () => console.log("SIGTERM ignored")); console.log("pid " + process.pid)`] },
      ],
    }, { 'backend.js': backend });
    const junction = RunningJunction.start(['--cbdir', cbdir], home);
    running.push(junction);
    await junction.url();

    await guestLine(junction, 'backend', (line) => line.msg === 'registered com.example.add');
    const client = await openAutobahn(`ws://127.0.0.1:${port}/`, 'json', { realm: 'realm1' });
    clients.push(client);
    assert.equal(await client.session.call('com.example.add', [2, 3]), 5);

    // inherit ["PATH"]: no HOME; vars set; the token the guest prints is masked in the log.
    assert.equal((await guestLine(junction, 'backend', (line) => line.msg.startsWith('env '))).msg, 'env HOME=undefined REALM=realm1 token=*****');
    assert.ok(!JSON.stringify(junction.lines).includes('tok-s3cret-value'), 'the secret never reaches the log');
    await guestLine(junction, 'quiet', (line) => line.msg === 'stderr line' && line.stream === 'stderr');
    const failed = await guestLine(junction, 'failing', (line) => line.msg.startsWith('guest worker exited'));
    assert.deepEqual([failed.level, failed.exitCode, failed.msg], [50, 2, 'guest worker exited with an error; it is not started again (as in Crossbar)']);
    assert.ok(junction.lines.some((line) => line.guest === 'failing' && line.msg === 'cannot open database'));
    const stubbornPid = Number((await guestLine(junction, 'stubborn', (line) => line.msg.startsWith('pid '))).msg.slice(4));

    await client.close();
    clients.pop();
    junction.child.kill('SIGTERM');
    assert.equal(await junction.waitForExit(), 0);
    assert.ok(!junction.lines.some((line) => line.guest === 'quiet' && line.msg === 'stdout line'), 'stdout "drop" is not logged');
    const killed = junction.lines.find((line) => line.guest === 'stubborn' && line.msg.startsWith('guest worker did not stop'));
    assert.ok(killed, 'the guest that ignores SIGTERM is reported killed');
    assert.ok(junction.lines.some((line) => line.guest === 'stubborn' && line.msg === 'SIGTERM ignored'));
    await waitFor(() => processGone(stubbornPid), 'the stubborn guest is gone');
    assert.ok(junction.lines.some((line) => line.guest === 'backend' && line.msg === 'guest worker stopped'));
  });

  it('follow the file at a reload (SIGHUP): a changed guest restarts, a removed one stops, a new one starts', async () => {
    const port = await freePort();
    const stay = (word: string) => ['-e', `${endWithJunction} console.log(${JSON.stringify(word)})`];
    const config = (guests: object[]) => ({ workers: [routerWorker(port), ...guests] });
    const { home, cbdir } = cbdirWith(config([
      { type: 'guest', id: 'steady', executable: node, arguments: stay('steady') },
      { type: 'guest', id: 'changing', executable: node, arguments: stay('v1') },
      { type: 'guest', id: 'leaving', executable: node, arguments: stay('leaving') },
    ]), {});
    const junction = RunningJunction.start(['--cbdir', cbdir], home);
    running.push(junction);
    await guestLine(junction, 'leaving', (line) => line.msg === 'leaving');
    await guestLine(junction, 'changing', (line) => line.msg === 'v1');
    writeFileSync(join(cbdir, 'config.json'), JSON.stringify(config([
      { type: 'guest', id: 'steady', executable: node, arguments: stay('steady') },
      { type: 'guest', id: 'changing', executable: node, arguments: stay('v2') },
      { type: 'guest', id: 'arriving', executable: node, arguments: stay('arriving') },
    ])));
    junction.child.kill('SIGHUP');
    const reloaded = await junction.waitForLine((line) => line.msg.startsWith('reload: '), 30_000);
    assert.deepEqual((reloaded.applied as string[]).sort(), [
      'guest worker "arriving" started', 'guest worker "changing" restarted (its block changed)', 'guest worker "leaving" stopped (removed from the file)',
    ]);
    await guestLine(junction, 'changing', (line) => line.msg === 'v2');
    await guestLine(junction, 'arriving', (line) => line.msg === 'arriving');
    assert.equal(junction.lines.filter((line) => line.guest === 'steady' && line.msg === 'guest worker started').length, 1, 'the unchanged guest kept running');
    junction.child.kill('SIGTERM');
    // A guest that Junction stops (removed, restarted) fires no shutdown trigger (which would exit with 1).
    assert.equal(await junction.waitForExit(), 0);
    assert.ok(!junction.lines.some(isTriggerLine));
  });

  it('with --workers 2, run each guest once, in the parent', async () => {
    const port = await freePort();
    const { home, cbdir } = cbdirWith({
      workers: [
        routerWorker(port),
        { type: 'guest', executable: node, arguments: ['once.js'], options: { workdir: '../app' } },
      ],
    }, { 'once.js': `${endWithJunction} require('node:fs').appendFileSync('starts.txt', process.pid + '\\n'); console.log('started');` });
    const junction = RunningJunction.start(['--cbdir', cbdir, '--workers', '2'], home);
    running.push(junction);
    await guestLine(junction, 'worker002', (line) => line.msg === 'started');
    await junction.waitForLine((line) => line.msg === 'worker serving' && line.node === 'w2', 30_000);
    junction.child.kill('SIGTERM');
    assert.equal(await junction.waitForExit(), 0);
    const started = junction.lines.filter((line) => line.msg === 'guest worker started');
    assert.equal(started.length, 1, 'one guest start for the whole machine');
    assert.equal(started[0]!.node, undefined, 'started by the parent, not by a worker');
    assert.equal(readFileSync(join(home, 'app', 'starts.txt'), 'utf8').trim().split('\n').length, 1);
  });

  it('with --workers 2, show the parent\'s guest figures on every worker\'s /metrics', async () => {
    const port = await freePort();
    const web = {
      type: 'web', endpoint: { type: 'tcp', interface: '127.0.0.1', port },
      paths: { ws: { type: 'websocket' }, metrics: { type: 'metrics' } },
    };
    const { home, cbdir } = cbdirWith({
      controller: keepRunning,
      workers: [
        { ...routerWorker(port), transports: [web] },
        { type: 'guest', executable: node, arguments: ['until-told.js'], options: { workdir: '../app' } },
      ],
    }, { 'until-told.js': `${endWithJunction} setInterval(() => { if (require('node:fs').existsSync('stop')) process.exit(3); }, 100);` });
    const junction = RunningJunction.start(['--cbdir', cbdir, '--workers', '2'], home);
    running.push(junction);
    for (const node of ['w1', 'w2']) await junction.waitForLine((line) => line.msg === 'worker serving' && line.node === node, 30_000);
    const metricsUrl = `http://127.0.0.1:${port}/metrics`;
    // The parent reports every second. Each scrape on a new connection, so that the parent hands
    // them to both workers in turn: the figures must hold on several scrapes in a row.
    const shownEverywhere = async (pattern: RegExp): Promise<void> => {
      let inARow = 0;
      for (let attempt = 0; attempt < 60 && inARow < 4; attempt++) {
        const connection = new Agent();
        const text = await (await fetch(metricsUrl, { dispatcher: connection })).text();
        await connection.close();
        inARow = pattern.test(text) ? inARow + 1 : 0;
        if (inARow < 4) await new Promise((resolve) => setTimeout(resolve, 250));
      }
      assert.equal(inARow, 4, `${pattern} on 4 scrapes in a row`);
    };
    await shownEverywhere(/^junction_guest_running\{guest="worker002"\} 1$/m);
    await shownEverywhere(/^junction_guest_starts_total\{guest="worker002"\} 1$/m);
    writeFileSync(join(home, 'app', 'stop'), '');
    await guestLine(junction, 'worker002', (line) => line.msg.startsWith('guest worker exited with an error'));
    await shownEverywhere(/^junction_guest_exits_total\{guest="worker002",outcome="error"\} 1$/m);
    await shownEverywhere(/^junction_guest_running\{guest="worker002"\} 0$/m);
    junction.child.kill('SIGTERM');
    assert.equal(await junction.waitForExit(), 0);
  });

  it('end when junction start is killed with SIGKILL, with and without --workers: the kernel sends them SIGTERM', { skip: skipWithoutDebian('util-linux') }, async () => {
    for (const workers of [[], ['--workers', '2']]) {
      const port = await freePort();
      // It does not watch for Junction: at most two minutes, in case it is not ended.
      const { home, cbdir } = cbdirWith({
        workers: [routerWorker(port), { type: 'guest', id: 'left', executable: node, arguments: ['-e', 'console.log("pid " + process.pid); setTimeout(() => {}, 120_000)'] }],
      }, {});
      const junction = RunningJunction.start(['--cbdir', cbdir, ...workers], home);
      running.push(junction);
      const pid = Number((await guestLine(junction, 'left', (line) => line.msg.startsWith('pid '))).msg.slice(4));
      const guest = OwnedProcess.under(junction.child, pid, 'the guest');
      orphans.push(guest);
      junction.child.kill('SIGKILL');
      await junction.waitForExit();
      await waitFor(() => !guest.running(), `the guest (pid ${pid}) is gone after junction start ${workers.join(' ')} was killed`, 10_000);
    }
  });

  it('refuse a guest that cannot run with one line naming the key', async () => {
    const port = await freePort();
    const refusal = async (guest: object, files: Record<string, string> = {}): Promise<string> => {
      const { home, cbdir } = cbdirWith({ workers: [routerWorker(port), { type: 'guest', ...guest }] }, files);
      const result = await runJunction(['start', '--cbdir', cbdir], undefined, home);
      assert.equal(result.code, 1);
      return result.stderr.trim();
    };
    // A guest that cannot start: one line. A key the schema refuses: the usual problem report, one line per problem.
    const { cbdir } = cbdirWith({ workers: [routerWorker(port), { type: 'guest', executable: 'no-such-guest-program' }, { type: 'guest', executable: node }] }, {});
    const checked = await runJunction(['check', '--cbdir', cbdir]);
    assert.equal(checked.code, 1);
    assert.match(checked.stderr, /: 1 problem\n.*config\.json: workers\[1\]\.executable: guest "worker002": "no-such-guest-program" was not found .*\[guest_not_startable\]\n$/);
    assert.match(await refusal({ executable: 'no-such-guest-program' }), /^junction start: cannot start: workers\[1\]\.executable: guest "worker002": "no-such-guest-program" was not found in .* nor on the PATH .* \[guest_not_startable\]$/);
    assert.match(await refusal({ executable: '../app/plain.sh' }, { 'plain.sh': '#!/bin/sh\n' }), /^junction start: cannot start: workers\[1\]\.executable: guest "worker002": .*\/app\/plain\.sh is not executable .*\[guest_not_startable\]$/);
    assert.match(await refusal({ executable: node, options: { workdir: 'missing' } }), /^junction start: cannot start: workers\[1\]\.options\.workdir: guest "worker002" cannot run in .*missing: it does not exist \[guest_not_startable\]$/);
    assert.match(await refusal({ arguments: ['x.js'] }), /^junction: the configuration has 1 problem:\n.*config\.json:\d+:\d+: workers\[1\]\.executable: missing: the program to run \(a path, or a name on the PATH\) \[config\.missing\]$/);
    assert.match(await refusal({ executable: node, options: { restart: 'always' } }), /^junction: the configuration has 1 problem:\n.*config\.json:\d+:\d+: workers\[1\]\.options\.restart: unknown key "restart".*\[config\.unknown_key\]$/);
  });
});

describe("the node's shutdown triggers (controller.options.shutdown), as Crossbar's standalone node", () => {
  /** A guest that logs "up", then exits with `code` once the file `name` appears in its workdir. */
  const exitsOn = (id: string, name: string, code: number) => ({
    type: 'guest', id, executable: node, options: { workdir: '../app' },
    arguments: ['-e', `${endWithJunction} console.log("up"); setInterval(() => { if (require("node:fs").existsSync(${JSON.stringify(name)})) process.exit(${code}); }, 100);`],
  });
  const stays = { type: 'guest', id: 'staying', executable: node, arguments: ['-e', `${endWithJunction} console.log("up")`] };

  it('by default, a guest that exits with success stops the node, as SIGTERM does, with exit code 1; with --workers 2 too (the parent runs the guests)', async () => {
    for (const workers of [[], ['--workers', '2']]) {
      const port = await freePort();
      const { home, cbdir } = cbdirWith({ workers: [routerWorker(port), stays, exitsOn('done', 'go', 0)] }, {});
      const junction = RunningJunction.start(['--cbdir', cbdir, ...workers], home);
      running.push(junction);
      await guestLine(junction, 'staying', (line) => line.msg === 'up');
      await guestLine(junction, 'done', (line) => line.msg === 'up');
      writeFileSync(join(home, 'app', 'go'), '');
      assert.equal(await stoppedItself(junction), 1, `junction start ${workers.join(' ')}`);
      const fired = junction.lines.filter(isTriggerLine);
      assert.deepEqual(fired.map((line) => [line.guest, line.exitCode, line.trigger]), [['done', 0, 'shutdown_on_worker_exit']]);
      assert.ok(junction.lines.some((line) => line.guest === 'staying' && line.msg === 'guest worker stopped'), 'the other guest is stopped as at SIGTERM');
    }
  });

  /**
   * Two guests under `trigger`: the first exits with `firstCode` and the node keeps running; the
   * second then exits with `secondCode`. Returns the trigger lines: [guest, exitCode, trigger].
   */
  async function twoExits(trigger: string, firstCode: number, secondCode: number): Promise<unknown[][]> {
    const port = await freePort();
    const { home, cbdir } = cbdirWith({
      controller: { options: { shutdown: [trigger] } },
      workers: [routerWorker(port), exitsOn('first', 'first-go', firstCode), exitsOn('second', 'second-go', secondCode)],
    }, {});
    const junction = RunningJunction.start(['--cbdir', cbdir], home);
    running.push(junction);
    await guestLine(junction, 'second', (line) => line.msg === 'up');
    writeFileSync(join(home, 'app', 'first-go'), '');
    await guestLine(junction, 'first', (line) => line.msg.startsWith('guest worker exited with'));
    writeFileSync(join(home, 'app', 'second-go'), '');
    assert.equal(await stoppedItself(junction), 1);
    return junction.lines.filter(isTriggerLine).map((line) => [line.guest, line.exitCode, line.trigger]);
  }

  it('with shutdown_on_worker_exit_with_error, a guest that exits with success leaves the node running; one that fails stops it', async () => {
    assert.deepEqual(await twoExits('shutdown_on_worker_exit_with_error', 0, 3), [['second', 3, 'shutdown_on_worker_exit_with_error']]);
  });

  it('with shutdown_on_last_worker_exit, only the last guest to exit stops the node, whatever its code', async () => {
    assert.deepEqual(await twoExits('shutdown_on_last_worker_exit', 3, 0), [['second', 0, 'shutdown_on_last_worker_exit']]);
  });
});

/**
 * A Crossbar container worker's Python class, unchanged, run with Debian's Autobahn|Python: it joins
 * through the transport its config names, registers a procedure and publishes (retained) on join;
 * a client calls it and subscribes through the router.
 */
const pythonBackend = `
import os
from autobahn.twisted.wamp import ApplicationSession
from autobahn.wamp.types import PublishOptions
from twisted.internet import reactor
from twisted.internet.defer import inlineCallbacks
from twisted.internet.task import LoopingCall


class Backend(ApplicationSession):
    @inlineCallbacks
    def onJoin(self, details):
        greeting = self.config.extra['greeting']
        yield self.register(lambda name: '%s, %s' % (greeting, name), 'com.example.hello')
        yield self.publish('com.example.joined', 'backend', details.realm, options=PublishOptions(retain=True, acknowledge=True))
        print('backend joined')
        # A test's Python ends when the Junction that started it is gone (killed by the test's cleanup included).
        parent = os.getppid()
        LoopingCall(lambda: os.getppid() != parent and reactor.stop()).start(0.25)
`;

describe("a container worker's Python component, run by junction start --cbdir (its transport's options in Crossbar's names)", { skip: skipWithoutDebian('python3-autobahn') }, () => {
  it('joins, registers and publishes; the router serves its procedure and its event', async () => {
    const port = await freePort();
    const { home, cbdir } = cbdirWith({
      version: 2,
      workers: [
        routerWorker(port),
        {
          type: 'container',
          options: { pythonpath: ['../app'] },
          components: [{
            type: 'class', classname: 'backend.Backend', realm: 'realm1', extra: { greeting: 'hello' },
            // Crossbar's names for the client's options (crossbar-examples rlinks/ha_setup): Autobahn's Component alone refuses max_message_size.
            transport: {
              type: 'websocket', endpoint: { type: 'tcp', host: '127.0.0.1', port }, url: `ws://127.0.0.1:${port}/`,
              options: { max_message_size: 1048576, open_handshake_timeout: 2500, auto_ping_interval: 10000, auto_ping_timeout: 5000 },
            },
          }],
        },
      ],
    }, { 'backend.py': pythonBackend });
    const junction = RunningJunction.start(['--cbdir', cbdir], home);
    running.push(junction);
    await junction.waitForLine((line) => line.guest === 'worker002' && line.msg.endsWith('backend joined'), 60_000);

    const client = await openAutobahn(`ws://127.0.0.1:${port}/`, 'json', { realm: 'realm1' });
    clients.push(client);
    assert.equal(await client.session.call('com.example.hello', ['junction']), 'hello, junction');
    const joined = await new Promise<unknown[]>((resolve, reject) => {
      client.session.subscribe('com.example.joined', (args: unknown[]) => resolve(args), { get_retained: true }).catch(reject);
    });
    assert.deepEqual(joined, ['backend', 'realm1']);

    await client.close();
    clients.pop();
    junction.child.kill('SIGTERM');
    assert.equal(await junction.waitForExit(), 0);
    assert.ok(junction.lines.some((line) => line.guest === 'worker002' && line.msg === 'guest worker stopped'));
  });
});

describe("a container worker's exit and the node's shutdown triggers", { skip: skipWithoutDebian('python3-autobahn') }, () => {
  it("stops the node by default when the container's process ends (its class cannot be imported), exit code 1", async () => {
    const port = await freePort();
    const { home, cbdir } = cbdirWith({
      workers: [
        routerWorker(port),
        {
          type: 'container',
          components: [{ type: 'class', classname: 'missing.Nowhere', realm: 'realm1', transport: { type: 'websocket', endpoint: { type: 'tcp', host: '127.0.0.1', port }, url: `ws://127.0.0.1:${port}/` } }],
        },
      ],
    }, {});
    const junction = RunningJunction.start(['--cbdir', cbdir], home);
    running.push(junction);
    assert.equal(await stoppedItself(junction, 60_000), 1);
    const fired = junction.lines.filter(isTriggerLine);
    assert.deepEqual(fired.map((line) => [line.guest, line.trigger]), [['worker002', 'shutdown_on_worker_exit']]);
    assert.notEqual(fired[0]!.exitCode, 0);
  });
});

/** A Python class that stays until it is stopped: it does not watch for Junction itself. */
const pythonStaying = `
import os
from autobahn.twisted.wamp import ApplicationSession


class Staying(ApplicationSession):
    def onJoin(self, details):
        print('staying pid %d' % os.getpid())
`;

/** A Python class whose session starts a thread that never ends (not a daemon): the interpreter's exit waits on it for ever. */
const pythonHolding = `
import os
import threading
from autobahn.twisted.wamp import ApplicationSession


class Holding(ApplicationSession):
    def onJoin(self, details):
        threading.Thread(target=threading.Event().wait, name='never_ends').start()
        print('holding pid %d' % os.getpid())
`;

describe("a container worker's Python process when junction start is killed with SIGKILL", { skip: skipWithoutDebian('python3-autobahn') || skipWithoutDebian('util-linux') }, () => {
  /** Starts Junction with the container's one class, SIGKILLs Junction once the class joined, and waits (bounded) for the Python process to be gone. */
  async function killedWith(module: string, classname: string, source: string): Promise<void> {
    const port = await freePort();
    const { home, cbdir } = cbdirWith({
      workers: [
        routerWorker(port),
        {
          type: 'container',
          options: { pythonpath: ['../app'] },
          components: [{
            type: 'class', classname, realm: 'realm1',
            transport: { type: 'websocket', endpoint: { type: 'tcp', host: '127.0.0.1', port }, url: `ws://127.0.0.1:${port}/` },
          }],
        },
      ],
    }, { [`${module}.py`]: source });
    const junction = RunningJunction.start(['--cbdir', cbdir], home);
    running.push(junction);
    const joined = await junction.waitForLine((line) => line.guest === 'worker002' && new RegExp(` ${module} pid \\d+$`).test(` ${line.msg}`), 60_000);
    const pid = Number(/(\d+)$/.exec(joined.msg)![1]);
    const python = OwnedProcess.under(junction.child, pid, 'the Python process');
    orphans.push(python);
    junction.child.kill('SIGKILL');
    await junction.waitForExit();
    await waitFor(() => !python.running(), `the Python process (pid ${pid}) is gone after junction start was killed`, 10_000);
  }

  it('ends: the kernel sends it SIGTERM', async () => {
    await killedWith('staying', 'staying.Staying', pythonStaying);
  });

  it("ends when its clean stop hangs on a thread of the component's that never ends (the launcher watches its parent)", async () => {
    await killedWith('holding', 'holding.Holding', pythonHolding);
  });
});

describe('examples/crossbar-auth: its container runs the Python authenticator beside the router', { skip: skipWithoutDebian('python3-autobahn') }, () => {
  it('a browser user signs in by a ticket the Python authenticator checks, and is authorized by it', async () => {
    const port = await freePort();
    const home = mkdtempSync(join(tmpdir(), 'junction-example-auth-'));
    folders.push(home);
    const example = join(projectRoot, 'examples', 'crossbar-auth');
    // The example as shipped, on a free port instead of 8080.
    const config = readFileSync(join(example, 'config.json'), 'utf8').replaceAll('8080', String(port));
    writeFileSync(join(home, 'config.json'), config);
    writeFileSync(join(home, 'authenticator.py'), readFileSync(join(example, 'authenticator.py')));
    const env = { ...process.env, REPORTING_SECRET: 'reporting-secret', AUTHENTICATOR_TICKET: 'authenticator-ticket', APP_USERS: JSON.stringify({ ann: 'ann-ticket' }) };
    const junction = new RunningJunction(spawnOwned(process.execPath, [junctionBin, 'start', '--config', join(home, 'config.json')], { cwd: home, env, stdio: ['ignore', 'pipe', 'pipe'] }));
    running.push(junction);
    await junction.waitForLine((line) => line.stream === 'stdout' && line.msg.endsWith('authenticator ready for 1 users'), 60_000);

    const signIn = (ticket: string) => openConnection(
      { url: `ws://127.0.0.1:${port}/ws`, realm: 'app', authmethods: ['ticket'], authid: 'ann', onchallenge: () => ticket },
      (reason, details) => new Error(`${reason} ${details?.reason ?? ''}`),
    );
    const ann = await signIn('ann-ticket');
    clients.push(ann);
    assert.deepEqual((({ authid, authrole, authmethod }) => ({ authid, authrole, authmethod }))(ann.details as Record<string, unknown>), { authid: 'ann', authrole: 'user', authmethod: 'ticket' });
    await assert.rejects(ann.session.call('com.example.user.bob.profile'), (error: { error?: string }) => error.error === 'wamp.error.not_authorized');
    await assert.rejects(signIn('wrong-ticket'), /authentication_failed/);
  });
});
