import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { RunningNode } from '../../../src/node/node.js';
import { openAutobahn, type OpenSession } from '../../support/autobahn.js';
import { launchChromium, serveBrowserBundles, skipWithoutChromium } from '../../support/chromium.js';
import { debianNeed, skipUnlessCi, skipWithoutDebian } from '../../support/debian.js';
import { startTestNode, testConfig } from '../../support/node.js';
import { addRawSocketListener, rawSocketSettings } from '../../transport/rawsocket-support.js';
import { spawnOwned } from '../../support/processes.js';
import { within } from '../../support/wait.js';

/**
 * Interop with Autobahn|Python from Debian (python3-autobahn, asyncio): a Python backend joins
 * over RawSocket, a browser-like AutobahnJS client on WebSocket calls it, and they exchange events.
 * Debian's python3, not whatever `python3` is first on PATH, is the one with the package.
 */

const python = debianNeed('python3').file;
// From dist/test/interop/python/ the project root is four levels up; the script is not compiled.
const script = fileURLToPath(new URL('../../../../test/interop/python/rawsocket_service.py', import.meta.url));

function pythonSerializers(): string[] | undefined {
  if (missing) return undefined;
  const probe = spawnSync(python, [script, '--list-serializers'], { encoding: 'utf8', timeout: 30_000 });
  return probe.status === 0 ? (JSON.parse(probe.stdout) as string[]) : undefined;
}

const missing = skipWithoutDebian('python3-autobahn');
const available = pythonSerializers();
const serializerPackages: Record<string, string> = { json: 'python3-autobahn', msgpack: 'python3-msgpack', cbor: 'python3-cbor2' };

const dir = mkdtempSync(join(tmpdir(), 'junction-python-'));
// At file level, so that the folder goes even when the suite is skipped.
after(() => rmSync(dir, { recursive: true, force: true }));
const socketPath = join(dir, 'junction.sock');
const config = testConfig();
// Keepalive stays off: Autobahn|Python 22.7 cannot answer RawSocket PINGs (asyncio raises
// NotImplementedError, Twisted reads the frame type as part of the length) and drops the connection.
addRawSocketListener(config, 'rs');
addRawSocketListener(config, 'unix', {}, { type: 'unix', path: socketPath, interface: '' });
config.listeners[0]!.kind = 'universal';
config.listeners[0]!.rawsocket = rawSocketSettings();

let node: RunningNode & { url: string };
let browser: OpenSession;
const children = new Set<ChildProcess>();

type Flavor = 'asyncio' | 'twisted';

interface PythonService {
  sessionId: number;
  greeting: unknown;
  stop(): Promise<void>;
}

/** Starts the Python service and waits (bounded) for its "ready" line. */
async function startPython(url: string, serializer: string, flavor: Flavor = 'asyncio'): Promise<PythonService> {
  const child = spawnOwned(python, [script, '--url', url, '--serializer', serializer, '--flavor', flavor], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
  const lines = createInterface({ input: child.stdout! });
  let greeting: unknown;
  let sessionId: number | undefined;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await within(once(child, 'exit'), 'the Python client to exit after SIGTERM', 30_000, () => `; stderr: ${stderr}`);
    }
    children.delete(child);
    if (sessionId !== undefined) await sessionGone(sessionId);
  };
  try {
    sessionId = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no "ready" line within 20 s')), 20_000);
      lines.on('line', (line) => {
        if (line.startsWith('greeted ')) greeting = JSON.parse(line.slice('greeted '.length));
        if (line.startsWith('ready ')) {
          clearTimeout(timer);
          resolve(Number(line.slice('ready '.length)));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`exited with ${code} before it was ready`));
      });
    });
    return { sessionId: sessionId!, greeting, stop };
  } catch (error) {
    await stop();
    throw new Error(`Autobahn|Python service (${flavor}, ${serializer}, ${url}): ${(error as Error).message}\n${stderr}`);
  }
}

/** Resolves once the router has cleaned up a session whose process ended (it sees the TCP close a moment later). */
async function sessionGone(sessionId: number): Promise<void> {
  for (let attempt = 0; attempt < 250; attempt++) {
    const gone = await browser.session.call('wamp.session.get', [sessionId]).then(() => false,
      (error: { error: string }) => error.error === 'wamp.error.no_such_session');
    if (gone) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`session ${sessionId} is still there 5 s after its process ended`);
}

/** The browser's side of the exchange with one running Python service. */
async function exchange(service: PythonService, serializer: string): Promise<void> {
  assert.equal(service.greeting, 'hello python, from the browser');
  const session = browser.session;
  assert.equal(await session.call('com.python.add', [2, 3]), 5);
  const info = await session.call('com.python.info');
  assert.deepEqual(info, { serializer, session: service.sessionId });
  const meta = await session.call('wamp.session.get', [service.sessionId]);
  assert.equal(meta.transport.type, 'rawsocket');
  assert.equal(meta.transport.serializer, serializer);

  let heardIt!: (event: [unknown[], Record<string, unknown>]) => void;
  const heard = new Promise<[unknown[], Record<string, unknown>]>((resolve) => (heardIt = resolve));
  const subscription = await session.subscribe('com.python.heard', (args: unknown[], kwargs: Record<string, unknown>) => heardIt([args, kwargs]));
  await session.publish('com.browser.news', ['breaking', 42], { city: 'Zürich' }, { acknowledge: true });
  const [args, kwargs] = await heard;
  assert.deepEqual(args, ['breaking', 42]);
  assert.deepEqual(kwargs, { city: 'Zürich' });
  await session.unsubscribe(subscription);
}

describe('Autobahn|Python over RawSocket', { skip: missing }, () => {
  before(async () => {
    node = await startTestNode(config);
    browser = await openAutobahn(node.url, 'json');
    await browser.session.register('com.browser.greet', (args: string[]) => `hello ${args[0]}, from the browser`);
  });

  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    await browser?.close();
    await node?.stop();
  });

  for (const flavor of ['asyncio', 'twisted'] as Flavor[]) {
    for (const serializer of ['json', 'msgpack', 'cbor']) {
      const skip = available?.includes(serializer) === false
        ? skipUnlessCi(`this Autobahn|Python cannot import its ${serializer} serializer (install ${serializerPackages[serializer]})`)
        : undefined;
      it(`registers, calls, subscribes and publishes over TCP (${flavor}, ${serializer})`, { skip }, async () => {
        const service = await startPython(`rs://127.0.0.1:${node.ports.get('rs')}`, serializer, flavor);
        try {
          await exchange(service, serializer);
        } finally {
          await service.stop();
        }
      });
    }
  }

  it('serves a real browser: a page in headless Chromium on WebSocket calls the Python procedure and hears its events', { skip: skipWithoutChromium }, async () => {
    const service = await startPython(`rs://127.0.0.1:${node.ports.get('rs')}`, 'json');
    const bundles = await serveBrowserBundles('python interop');
    const chromium = await launchChromium();
    try {
      const page = await chromium.firstPage();
      await page.goto(`${bundles.origin}/`);
      const outcome = await page.evaluate(async ({ url, bundle }) => {
        const client = await import(bundle);
        const session = await client.connect({ url, realm: 'realm1', reconnect: false });
        let heard!: (args: unknown[]) => void;
        const echoed = new Promise<unknown[]>((resolve) => (heard = resolve));
        await session.subscribe('com.python.heard', (args: unknown[]) => heard(args));
        const sum = (await session.call('com.python.add', [20, 22])).args;
        await session.publish('com.browser.news', ['from the page'], undefined, { acknowledge: true });
        const event = await echoed;
        await session.leave();
        return { sum, event };
      }, { url: node.url, bundle: '/junction-client.min.js' });
      assert.deepEqual(outcome, { sum: [42], event: ['from the page'] });
    } finally {
      await chromium.close();
      await bundles.close();
      await service.stop();
    }
  });

  it('joins over a Unix socket', async () => {
    const service = await startPython(`rs://unix:${socketPath}`, 'json');
    try {
      await exchange(service, 'json');
    } finally {
      await service.stop();
    }
  });

  it('joins over the web port that also serves the browser (universal transport)', async () => {
    const service = await startPython(`rs://127.0.0.1:${node.ports.get('test')}`, 'msgpack', 'twisted');
    try {
      await exchange(service, 'msgpack');
    } finally {
      await service.stop();
    }
  });

  it('ends the Python session and its registrations when the process is killed', async () => {
    const service = await startPython(`rs://127.0.0.1:${node.ports.get('rs')}`, 'json');
    assert.equal(await browser.session.call('com.python.add', [1, 1]), 2);
    await service.stop(); // kills the process, then waits until the router dropped its session
    await assert.rejects(browser.session.call('com.python.add', [1, 1]),
      (error: { error: string }) => error.error === 'wamp.error.no_such_procedure');
  });
});
