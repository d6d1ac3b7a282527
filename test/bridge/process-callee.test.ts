import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ProcessComponentConfig } from '../../src/config/model.js';
import { openAutobahn, type OpenSession } from '../support/autobahn.js';
import { projectRoot } from '../support/cli.js';
import { startTestNode, testConfig } from '../support/node.js';
import { processGone } from '../support/processes.js';
import { waitFor } from '../support/wait.js';

/**
 * Procedures served by programs (test/fixtures/programs), called by AutobahnJS: what the program
 * receives, how its output becomes the result, and how failures, timeouts, floods and crowds end.
 */

const programs = join(projectRoot, 'test/fixtures/programs');
const program = (name: string) => join(programs, name);
/**
 * The timeout of the programs the timeout cases kill. They are shell scripts that write their
 * pids first thing (a shell starts in about a millisecond; a node program took more than 400 ms
 * on a loaded machine, so that the timeout killed it before it had said its pid).
 */
const startupMarginMs = 2_000;

function component(id: string, procedure: string, command: string[], cwd: string, more: Partial<ProcessComponentConfig> = {}): ProcessComponentConfig {
  return {
    kind: 'process', id, realm: 'realm1', procedure, command, cwd,
    env: {}, timeoutMs: 10_000, concurrency: 4, queueLimit: 100, maxOutputBytes: 1_048_576,
    ...more,
  };
}

type WampFailure = { error: string; args: unknown[]; kwargs: Record<string, unknown> };

async function callError(session: OpenSession, procedure: string, args: unknown[] = [], kwargs: Record<string, unknown> = {}): Promise<WampFailure> {
  try {
    const result: unknown = await session.session.call(procedure, args, kwargs);
    assert.fail(`expected an error, got ${JSON.stringify(result)}`);
  } catch (error) {
    const failure = error as Partial<WampFailure>;
    if (failure.error === undefined) throw error;
    return failure as WampFailure;
  }
}

/** The gate server: each gate.mjs run connects and says its label; the test lets it finish. */
class Gates {
  readonly server: Server = createServer((socket) => this.arrive(socket));
  private readonly sockets = new Map<string, Socket>();
  private readonly waiting = new Map<string, () => void>();

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  get labels(): string[] {
    return [...this.sockets.keys()].sort();
  }

  /** Resolves when the run labelled `label` has connected. */
  arrived(label: string): Promise<void> {
    if (this.sockets.has(label)) return Promise.resolve();
    return new Promise((resolve) => this.waiting.set(label, resolve));
  }

  open(label: string): void {
    this.sockets.get(label)!.write('go');
  }

  close(): Promise<void> {
    for (const socket of this.sockets.values()) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private arrive(socket: Socket): void {
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString();
      if (!text.endsWith('\n')) return;
      const label = text.trim();
      this.sockets.set(label, socket);
      this.waiting.get(label)?.();
    });
  }
}

let folder: string;
let node: Awaited<ReturnType<typeof startTestNode>>;
let client: OpenSession;
const gates = new Gates();

before(async () => {
  folder = await mkdtemp(join(tmpdir(), 'junction-process-'));
  await new Promise<void>((resolve) => gates.server.listen(0, '127.0.0.1', resolve));
  process.env.JUNCTION_TEST_ROUTER_SECRET = 'must-not-reach-programs';
  const node_ = process.execPath;
  const config = testConfig();
  config.components.push(
    component('echo', 'proc.echo', [node_, program('echo.mjs')], folder, { role: 'anonymous' }),
    component('shebang', 'proc.shebang', [program('echo.mjs')], folder),
    component('inspect', 'proc.inspect', [node_, program('inspect.mjs'), '$(touch PWNED)', '; touch PWNED2', '`touch PWNED3`', '| cat', "it's \"quoted\""], folder, { env: { APP_MODE: 'test' } }),
    component('text', 'proc.text', [node_, program('text.mjs')], folder),
    component('fail', 'proc.fail', [node_, program('fail.mjs'), '3'], folder),
    component('sleep', 'proc.sleep', ['/bin/sh', '-c', 'echo "[$$]" > sleep.pid; exec sleep 60'], folder, { timeoutMs: startupMarginMs }),
    component('patient', 'proc.patient', [node_, program('sleep-forever.mjs')], folder, { timeoutMs: 60_000 }),
    component('family', 'proc.family', ['/bin/sh', '-c', 'sleep 60 & echo "[$$, $!]" > family.pid; wait'], folder, { timeoutMs: startupMarginMs }),
    component('flood', 'proc.flood', [node_, program('flood.mjs')], folder, { maxOutputBytes: 100_000 }),
    component('gate', 'proc.gate', [node_, program('gate.mjs')], folder, { concurrency: 2, queueLimit: 1 }),
  );
  node = await startTestNode(config);
  client = await openAutobahn(node.url);
});

after(async () => {
  delete process.env.JUNCTION_TEST_ROUTER_SECRET;
  await client?.close();
  await node?.stop();
  await gates.close();
  await rm(folder, { recursive: true, force: true });
});

describe('process component', () => {
  it('answers with the program\'s {"args", "kwargs"}: the call echoed', async () => {
    const result = await client.session.call('proc.echo', [1, 'two', { three: [3] }], { k: 'v' });
    assert.deepEqual([result.args, result.kwargs], [[1, 'two', { three: [3] }], { k: 'v' }]);
  });

  it('runs an executable script directly (its #! line, found through the program\'s PATH)', async () => {
    const result = await client.session.call('proc.shebang', ['via shebang']);
    assert.equal(result, 'via shebang');
  });

  it('answers plain text as one string', async () => {
    assert.equal(await client.session.call('proc.text', ['world']), 'hello world');
  });

  it('passes arguments with shell metacharacters verbatim, in a minimal environment', async () => {
    const nasty = 'a; echo pwned $(touch PWNED4) `touch PWNED5` | cat > f && rm -rf ~';
    const seen = await client.session.call('proc.inspect', [nasty, "quote's \"double\""], { home: '$HOME' });
    assert.deepEqual(seen.input.args, [nasty, "quote's \"double\""]);
    assert.deepEqual(seen.input.kwargs, { home: '$HOME' });
    assert.deepEqual(seen.input.details, { procedure: 'proc.inspect' });
    assert.deepEqual(seen.argv, ['$(touch PWNED)', '; touch PWNED2', '`touch PWNED3`', '| cat', "it's \"quoted\""]);
    for (const file of ['PWNED', 'PWNED2', 'PWNED3', 'PWNED4', 'PWNED5', 'f']) assert.equal(existsSync(join(folder, file)), false, file);
    assert.equal(seen.cwd, folder);
    assert.equal(seen.env.APP_MODE, 'test');
    assert.equal(seen.env.JUNCTION_TEST_ROUTER_SECRET, undefined, 'the router\'s environment stays out');
    assert.deepEqual(Object.keys(seen.env).filter((name) => !['PATH', 'HOME', 'LANG', 'APP_MODE'].includes(name)), []);
  });

  it('answers a non-zero exit with junction.error.process.failed, the exit code and stderr\'s last lines', async () => {
    const failed = await callError(client, 'proc.fail');
    assert.equal(failed.error, 'junction.error.process.failed');
    assert.match(String(failed.args[0]), /^the program exited with code 3; stderr:\ntrouble 11\n[^]*trouble 30$/);
    assert.equal(failed.kwargs.exit_code, 3);
    assert.deepEqual(String(failed.kwargs.stderr).split('\n'), Array.from({ length: 20 }, (_, index) => `trouble ${11 + index}`));
  });

  it('kills a program past its timeout: junction.error.process.timeout', async () => {
    const pidFile = join(folder, 'sleep.pid');
    const late = await callError(client, 'proc.sleep');
    assert.equal(late.error, 'junction.error.process.timeout');
    assert.match(String(late.args[0]), /did not finish within 2000 ms and was killed/);
    const [pid] = JSON.parse(await readFile(pidFile, 'utf8')) as [number];
    await waitFor(() => processGone(pid), `program ${pid} to be gone`);
  });

  it('kills the program when the caller gives up (CANCEL: the dealer interrupts the invocation)', async () => {
    const pidFile = join(folder, 'patient.pid');
    const pending = client.session.call('proc.patient', [], { pid_file: pidFile });
    const call = pending.then(() => assert.fail('the call should be canceled'), (error: { error?: string }) => error.error);
    // Given up once the program runs, not after a fixed time: a loaded machine may take longer to start it.
    await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8') !== '', 'the program to start');
    const [pid] = JSON.parse(await readFile(pidFile, 'utf8')) as [number];
    pending.cancel({ mode: 'kill' });
    assert.equal(await call, 'wamp.error.canceled');
    await waitFor(() => processGone(pid), `program ${pid} to be gone long before its own 60 s timeout`);
  });

  it('kills the program\'s children too when it times out', async () => {
    const pidFile = join(folder, 'family.pid');
    const late = await callError(client, 'proc.family');
    assert.equal(late.error, 'junction.error.process.timeout');
    const [parent, grandchild] = JSON.parse(await readFile(pidFile, 'utf8')) as [number, number];
    await waitFor(() => processGone(parent) && processGone(grandchild), `programs ${parent} and ${grandchild} to be gone`);
  });

  it('kills a program that prints too much: junction.error.process.output_too_large', async () => {
    const flood = await callError(client, 'proc.flood');
    assert.equal(flood.error, 'junction.error.process.output_too_large');
    assert.match(String(flood.args[0]), /more than 100000 bytes/);
  });

  it('runs at most `concurrency` programs, queues up to `queue_limit` calls and refuses the rest as busy', async () => {
    const port = gates.port;
    const first = client.session.call('proc.gate', ['a'], { port });
    const second = client.session.call('proc.gate', ['b'], { port });
    await Promise.all([gates.arrived('a'), gates.arrived('b')]);
    const third = client.session.call('proc.gate', ['c'], { port }); // waits in line
    const busy = await callError(client, 'proc.gate', ['d'], { port });
    assert.equal(busy.error, 'junction.error.process.busy');
    assert.deepEqual(busy.kwargs, { concurrency: 2, queue_limit: 1 });
    assert.match(node.metrics.exposition(), /^junction_process_busy_total\{component="gate"\} 1$/m, 'the refusal is counted');
    assert.deepEqual(gates.labels, ['a', 'b'], 'the queued call has not started a program');
    gates.open('a');
    assert.equal(await first, 'a');
    await gates.arrived('c');
    gates.open('b');
    gates.open('c');
    assert.deepEqual(await Promise.all([second, third]), ['b', 'c']);
  });
});

describe('process component at shutdown', () => {
  it('kills running programs when the node stops', async () => {
    const config = testConfig();
    config.components.push(component('sleep', 'proc.sleep', [process.execPath, program('sleep-forever.mjs')], folder));
    const own = await startTestNode(config);
    const caller = await openAutobahn(own.url);
    const pidFile = join(folder, 'shutdown.pid');
    const call = caller.session.call('proc.sleep', [], { pid_file: pidFile }).catch((error: unknown) => error);
    await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8') !== '', 'the program to start');
    const [pid] = JSON.parse(await readFile(pidFile, 'utf8')) as [number];
    await own.stop();
    await waitFor(() => processGone(pid), `program ${pid} to be gone`);
    await call;
    await caller.close();
  });

  it('refuses to start when the program does not exist, naming the component', async () => {
    const config = testConfig();
    config.components.push(component('ghost', 'proc.ghost', [join(folder, 'no-such-program')], folder));
    await assert.rejects(startTestNode(config), /component "ghost": program ".*no-such-program" does not exist or is not executable/);
  });
});
