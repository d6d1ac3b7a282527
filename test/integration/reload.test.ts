import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { defaultRealmLimits } from '../../src/config/schema-router.js';
import type { AuthConfig, ForwarderComponentConfig, JunctionConfig, PathService, RestCalleeComponentConfig } from '../../src/config/model.js';
import { loadDocument } from '../../src/config/test-support.js';
import type { ReloadReport } from '../../src/node/reload/apply.js';
import { connect as connectClient } from '../../src/client/index.js';
import { openAutobahn, type OpenSession } from '../support/autobahn.js';
import { openRouterConfig } from '../support/cli.js';
import { startTestNode, testConfig, testLongPoll } from '../support/node.js';
import { waitFor } from '../support/wait.js';
import { RawSocketClient } from '../transport/rawsocket-client.js';
import { addRawSocketListener } from '../transport/rawsocket-support.js';

/**
 * Each part a reload changes, applied to a node running in this process (node.reload with a
 * model): permissions with their cached decisions, limits, web paths, transports, components.
 * Connected sessions keep going throughout.
 */

let node: Awaited<ReturnType<typeof startTestNode>>;
let client: OpenSession;
let app: Server;
let appUrl: string;
/** Paths of the requests the app received (the forwarder's deliveries among them). */
const appRequests: string[] = [];
let dataDir: string;
/** The model as the "file" says it: each reload edits it and hands the node a copy. */
let desired: JunctionConfig;
const open: OpenSession[] = [];

/** Applies `edit` to the desired model, reloads with a copy of it, and returns the report. */
function reload(edit: (config: JunctionConfig) => void): Promise<ReloadReport> {
  edit(desired);
  return node.reload(structuredClone(desired));
}

async function connect(url = node.url, realm = 'realm1'): Promise<OpenSession> {
  const session = await openAutobahn(url, 'json', { realm });
  open.push(session);
  return session;
}

/** The WAMP error URI a promise rejects with. */
async function errorOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as { error?: string }).error ?? String(error);
  }
  assert.fail('expected a WAMP error');
}

function forwarder(topic: string): ForwarderComponentConfig {
  return {
    kind: 'forwarder', id: 'hooks', realm: 'realm1',
    subscriptions: [{ topic, match: 'exact', url: `${appUrl}hooks/${topic}` }],
    method: 'POST', headers: {}, timeoutMs: 5_000, concurrencyPerUrl: 1,
    retry: { initialDelayMs: 10, maxDelayMs: 50, maxAttempts: 3 },
    outboxLimit: 100, outboxLimitBytes: 1_048_576,
  };
}

/** A WebSocket reverse proxy path to a backend on port 1 of this machine, over TLS with `caCertificates` when given. */
function proxyPath(caCertificates?: string[]): PathService {
  const tls = caCertificates === undefined ? {} : { tls: { ca_certificates: caCertificates } };
  const config = loadDocument(openRouterConfig({
    proxy: { type: 'websocket-reverseproxy', backend: { type: 'websocket', endpoint: { type: 'tcp', host: '127.0.0.1', port: 1, ...tls } } },
  }));
  return config.listeners[0]!.paths['/proxy']!;
}

function restCallee(id: string, procedure: string): RestCalleeComponentConfig {
  return {
    kind: 'rest-callee', id, realm: 'realm1', procedure, baseUrl: appUrl,
    headers: {}, timeoutMs: 5_000, errorOn4xx: false, errorOn5xx: false, maxResponseBytes: 65_536,
  };
}

before(async () => {
  app = createServer((request, response) => {
    appRequests.push(request.url ?? '');
    request.resume();
    request.on('end', () => response.writeHead(200, { 'content-type': 'text/plain' }).end('from the app'));
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}/`;
  desired = testConfig();
  dataDir = await mkdtemp(join(tmpdir(), 'junction-reload-data-'));
  node = await startTestNode(structuredClone(desired), { dataDir });
  client = await connect();
});

after(async () => {
  await Promise.all(open.map((session) => session.close().catch(() => undefined)));
  await node?.stop();
  await new Promise((resolve) => app?.close(resolve));
  await rm(dataDir, { recursive: true, force: true });
});

describe('reload, part by part', () => {
  it('changes nothing and reports nothing when the model is the same', async () => {
    const report = await reload(() => undefined);
    assert.deepEqual([report.applied, report.notApplied], [[], []]);
  });

  it('applies changed permissions to connected sessions at once: no cached decision survives', async () => {
    await client.session.publish('app.news', ['allowed'], {}, { acknowledge: true });
    const report = await reload((config) => {
      config.realms[0]!.roles[0]!.permissions![0]!.uri = 'other.';
    });
    assert.deepEqual(report.applied, ['realm "realm1": permissions changed: anonymous']);
    assert.equal(await errorOf(client.session.publish('app.news', ['now refused'], {}, { acknowledge: true })), 'wamp.error.not_authorized');
    await client.session.publish('other.news', ['still allowed'], {}, { acknowledge: true });
    await reload((config) => {
      config.realms[0]!.roles[0]!.permissions![0]!.uri = '';
    });
    await client.session.publish('app.news', ['allowed again'], {}, { acknowledge: true });
  });

  it('applies changed limits to what connected sessions add from now on', async () => {
    const first = await client.session.subscribe('limits.one', () => undefined);
    await reload((config) => {
      config.realms[0]!.options.limits = { ...defaultRealmLimits, maxSubscriptionsPerSession: 1 };
    });
    assert.equal(await errorOf(client.session.subscribe('limits.two', () => undefined)), 'junction.error.limit_exceeded');
    await client.session.unsubscribe(first);
    await reload((config) => {
      config.realms[0]!.options.limits = defaultRealmLimits;
    });
    await client.session.subscribe('limits.two', () => undefined);
    await client.session.subscribe('limits.three', () => undefined);
  });

  it('adds and removes web paths; the WebSocket path\'s sessions are untouched', async () => {
    const health = (): Promise<number> => fetch(node.url.replace('ws://', 'http://').replace('/ws', '/health')).then((response) => response.status);
    assert.equal(await health(), 404);
    const report = await reload((config) => {
      config.listeners[0]!.paths['/health'] = { type: 'health' };
      config.listeners[0]!.paths['/info'] = { type: 'nodeinfo' };
    });
    assert.deepEqual(report.applied, ['transport "test": paths added /health, /info']);
    assert.equal(await health(), 200);
    assert.ok(node.services.some((served) => served.url.endsWith('/health')));
    const info = (): Promise<{ transports: { id: string; paths: Record<string, string> }[] }> =>
      fetch(node.url.replace('ws://', 'http://').replace('/ws', '/info')).then((response) => response.json() as never);
    assert.deepEqual((await info()).transports, [{ id: 'test', kind: 'web', paths: { '/ws': 'websocket', '/health': 'health', '/info': 'nodeinfo' } }]);
    await reload((config) => {
      delete config.listeners[0]!.paths['/health'];
    });
    assert.equal(await health(), 404);
    assert.deepEqual((await info()).transports[0]!.paths, { '/ws': 'websocket', '/info': 'nodeinfo' }, '/info tells the configuration running now');
    await reload((config) => {
      delete config.listeners[0]!.paths['/info'];
    });
    await client.session.publish('app.news', ['still here'], {}, { acknowledge: true });
  });

  it('rebuilds a changed WebSocket path for new connections and leaves its connected sessions alone', async () => {
    const before = await connect();
    await reload((config) => {
      const ws = config.listeners[0]!.paths['/ws'];
      if (ws?.type !== 'websocket') throw new Error('no /ws');
      ws.serializers = ['json', 'msgpack'];
    });
    await before.session.publish('app.news', ['kept'], {}, { acknowledge: true });
    await (await connect()).session.publish('app.news', ['new connection'], {}, { acknowledge: true });
  });

  it('keeps a long-poll session going across a rebuild of its path: its follow-up requests reach the transport it opened', async () => {
    await reload((config) => {
      config.listeners[0]!.paths['/lp'] = testLongPoll({ requestTimeoutMs: 200 });
    });
    const http = node.url.replace('ws://', 'http://').replace('/ws', '/lp');
    const polling = await connectClient({ transports: [{ type: 'longpoll', url: http }], realm: 'realm1', reconnect: false });
    try {
      await reload((config) => {
        config.listeners[0]!.paths['/lp'] = testLongPoll({ requestTimeoutMs: 300 });
      });
      // Held receives time out and are sent again across the change; the session still publishes and calls.
      await new Promise((resolve) => setTimeout(resolve, 400));
      await polling.publish('app.news', ['over long-poll'], {}, { acknowledge: true });
      const fresh = await connectClient({ transports: [{ type: 'longpoll', url: http }], realm: 'realm1', reconnect: false });
      await fresh.publish('app.news', ['a new long-poll session'], {}, { acknowledge: true });
      await fresh.leave();
    } finally {
      await polling.leave();
    }
    await reload((config) => {
      delete config.listeners[0]!.paths['/lp'];
    });
  });

  it('gives new RawSocket connections a changed ticket; a connection signed in with the old one stays', async () => {
    const tickets = (ticket: string): AuthConfig => ({ ticket: { type: 'static', principals: { device: { ticket, role: 'anonymous' } } } });
    await reload((config) => {
      addRawSocketListener(config, 'tcp', { auth: tickets('old-ticket') });
    });
    const target = { port: node.ports.get('tcp')! };
    const signIn = async (ticket: string): Promise<{ client: RawSocketClient; outcome: unknown[] }> => {
      const client = await RawSocketClient.open(target);
      client.send([1, 'realm1', { roles: { publisher: {} }, authmethods: ['ticket'], authid: 'device' }]);
      const challenge = await client.next((message) => message[0] === 4 || message[0] === 3);
      if (challenge[0] === 3) return { client, outcome: challenge };
      client.send([5, ticket, {}]);
      return { client, outcome: await client.next((message) => message[0] === 2 || message[0] === 3) };
    };
    const before = await signIn('old-ticket');
    assert.equal(before.outcome[0], 2);

    const report = await reload((config) => {
      config.listeners.find((listener) => listener.id === 'tcp')!.rawsocket!.auth = tickets('new-ticket');
    });
    assert.deepEqual(report.applied, ['transport "tcp": RawSocket settings changed']);
    const refused = await signIn('old-ticket');
    assert.deepEqual([refused.outcome[0], refused.outcome[2]], [3, 'wamp.error.authentication_failed']);
    refused.client.close();
    const accepted = await signIn('new-ticket');
    assert.equal(accepted.outcome[0], 2);
    accepted.client.close();

    before.client.send([16, 1, { acknowledge: true }, 'app.news', ['still connected']]);
    assert.deepEqual((await before.client.next((message) => message[0] === 17 || message[0] === 8)).slice(0, 2), [17, 1]);
    before.client.close();
    await reload((config) => {
      config.listeners = config.listeners.filter((listener) => listener.id !== 'tcp');
    });
  });

  it('reports that a transport\'s HTTP request timeouts keep their start-up values', async () => {
    const report = await reload((config) => {
      config.listeners[0]!.requestBodyTimeoutMs = 1_234;
    });
    assert.deepEqual(report.applied, []);
    assert.equal(report.notApplied.length, 1);
    assert.match(report.notApplied[0]!, /^transport "test": its HTTP server keeps the request timeouts it started with \(headers 10000 ms, body \d+ ms\) until a restart, not headers 10000 ms, body 1234 ms/);
    await reload((config) => {
      delete config.listeners[0]!.requestBodyTimeoutMs;
    });
  });

  it('applies a changed allowed_hosts from the next request', async () => {
    const base = node.url.replace('ws://', 'http://').replace('/ws', '');
    const post = (host: string) => new Promise<number>((resolve, reject) => {
      const request = httpRequest(`${base}/publish`, { method: 'POST', headers: { host, origin: `http://${host}`, 'content-type': 'application/json' } }, (response) => {
        response.resume();
        resolve(response.statusCode!);
      });
      request.on('error', reject);
      request.end(JSON.stringify({ topic: 'app.news', args: ['by name'] }));
    });
    await reload((config) => {
      config.listeners[0]!.paths['/publish'] = { type: 'publisher', realm: 'realm1', role: 'anonymous', options: { postBodyLimit: 8192, requireIp: [], requireTls: false } };
    });
    assert.equal(await post('wamp.example.com'), 421);
    const report = await reload((config) => {
      config.listeners[0]!.allowedHosts = ['wamp.example.com'];
    });
    assert.deepEqual(report.applied, ['transport "test": allowed_hosts changed']);
    assert.equal(await post('wamp.example.com'), 200);
    await reload((config) => {
      delete config.listeners[0]!.allowedHosts;
      delete config.listeners[0]!.paths['/publish'];
    });
    assert.equal(await post('wamp.example.com'), 404);
  });

  it('adds a transport that listens at once, and removes it again', async () => {
    const report = await reload((config) => {
      config.listeners.push({ ...structuredClone(config.listeners[0]!), id: 'extra' });
    });
    assert.match(report.applied.join('\n'), /transport "extra" added: ws:\/\/127\.0\.0\.1:\d+\/ws/);
    const port = node.ports.get('extra');
    assert.ok(port !== undefined && port > 0);
    const url = `ws://127.0.0.1:${port}/ws`;
    assert.ok(node.urls.includes(url));
    const there = await connect(url);
    await there.session.publish('app.news', ['on the new transport'], {}, { acknowledge: true });

    await reload((config) => {
      config.listeners = config.listeners.filter((listener) => listener.id !== 'extra');
    });
    await there.closed;
    await assert.rejects(connect(url));
    assert.ok(!node.urls.includes(url));
    await client.session.publish('app.news', ['the first transport is untouched'], {}, { acknowledge: true });
  });

  it('starts an added component, restarts a changed one, and stops a removed one', async () => {
    assert.equal(await errorOf(client.session.call('webapp.api', [], { method: 'GET', url: '' })), 'wamp.error.no_such_procedure');
    let report = await reload((config) => {
      config.components.push(restCallee('api', 'webapp.api'));
    });
    assert.deepEqual(report.applied, ['component "api" started (added)']);
    assert.equal((await client.session.call('webapp.api', [], { method: 'GET', url: '' }) as { content: string }).content, 'from the app');

    report = await reload((config) => {
      config.components[0] = restCallee('api', 'webapp.api2');
    });
    assert.deepEqual(report.applied, ['component "api" restarted with its new settings']);
    assert.equal(await errorOf(client.session.call('webapp.api', [], { method: 'GET', url: '' })), 'wamp.error.no_such_procedure');
    assert.equal((await client.session.call('webapp.api2', [], { method: 'GET', url: '' }) as { content: string }).content, 'from the app');

    report = await reload((config) => {
      config.components = [];
    });
    assert.deepEqual(report.applied, ['component "api" stopped (removed)']);
    assert.equal(await errorOf(client.session.call('webapp.api2', [], { method: 'GET', url: '' })), 'wamp.error.no_such_procedure');
  });

  it('moves a forwarder to its new subscriptions', async () => {
    await reload((config) => {
      config.components.push(forwarder('orders.created'));
    });
    await client.session.publish('orders.created', ['first'], {}, { acknowledge: true });
    await waitFor(() => appRequests.includes('/hooks/orders.created'), 'the first delivery');

    const report = await reload((config) => {
      config.components = [forwarder('orders.paid')];
    });
    assert.deepEqual(report.applied, ['component "hooks" restarted with its new settings']);
    await client.session.publish('orders.created', ['not forwarded any more'], {}, { acknowledge: true });
    await client.session.publish('orders.paid', ['forwarded now'], {}, { acknowledge: true });
    await waitFor(() => appRequests.includes('/hooks/orders.paid'), 'the delivery on the new subscription');
    assert.equal(appRequests.filter((path) => path === '/hooks/orders.created').length, 1);
    await reload((config) => {
      config.components = [];
    });
  });

  it('reports a transport added with a TLS file that cannot be read as start does: naming the setting and the file', async () => {
    const key = join(dataDir, 'no-such.key');
    const report = await reload((config) => {
      config.listeners.push({ ...structuredClone(config.listeners[0]!), id: 'secure', endpoint: { port: 0, interface: '127.0.0.1', tls: { key, certificate: key, chainCertificates: [] } } });
    });
    assert.deepEqual(report.notApplied, [
      `transport "secure" could not be added: transport "secure": cannot read its endpoint.tls.key ${key}: no such file (a relative path is read from the config file's folder)`,
    ]);
    await reload((config) => {
      config.listeners = config.listeners.filter((listener) => listener.id !== 'secure');
    });
  });

  it('checks the TLS files of a WebSocket reverse proxy path added or rebuilt on a running transport as start does: a CA file that holds no certificate is named', async () => {
    const notPem = join(dataDir, 'not-a-ca.pem');
    await writeFile(notPem, 'not a certificate\n');
    const fault = `transport "test" path "/proxy": its backend.endpoint.tls.ca_certificates ${notPem} is not a PEM certificate (no "-----BEGIN" line)`;
    const added = await reload((config) => {
      config.listeners[0]!.paths['/proxy'] = proxyPath([notPem]);
    });
    assert.deepEqual(added.notApplied, [`transport "test": paths added /proxy: not applied: ${fault}`]);
    assert.ok(!node.services.some((served) => served.url.endsWith('/proxy')), 'the path is not served');
    // Added without TLS, then given TLS with that file: the rebuild is refused and the path kept as it was.
    const plain = await reload((config) => {
      config.listeners[0]!.paths['/proxy'] = proxyPath();
    });
    assert.deepEqual(plain.applied, ['transport "test": paths added /proxy']);
    const rebuilt = await reload((config) => {
      config.listeners[0]!.paths['/proxy'] = proxyPath([notPem]);
    });
    assert.deepEqual(rebuilt.notApplied, [`transport "test": paths rebuilt /proxy: not applied: ${fault}`]);
    assert.ok(node.services.some((served) => served.url.endsWith('/proxy')), 'the path is still served as it was');
    await reload((config) => {
      delete config.listeners[0]!.paths['/proxy'];
    });
  });

  it('reports a transport that cannot listen, keeps the rest, and tries again on the next reload', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as AddressInfo).port;
    try {
      const report = await reload((config) => {
        config.listeners.push({ ...structuredClone(config.listeners[0]!), id: 'blocked', endpoint: { port: taken, interface: '127.0.0.1' } });
        config.realms.push({ ...structuredClone(config.realms[0]!), name: 'realm2' });
      });
      assert.deepEqual(report.notApplied, [`transport "blocked" could not be added: port ${taken} on 127.0.0.1 is already in use`]);
      assert.deepEqual(report.applied, ['realm "realm2" added']);
      assert.ok(!report.running.listeners.some((listener) => listener.id === 'blocked'));
      await connect(node.url, 'realm2');
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
    const retried = await reload(() => undefined);
    assert.deepEqual(retried.applied.map((line) => line.replace(/: .*/, '')), ['transport "blocked" added']);
  });
});
