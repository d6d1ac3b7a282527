import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { JunctionConfig } from '../../src/config/model.js';
import { openAutobahn, type OpenSession } from '../support/autobahn.js';
import { startTestNode, testConfig } from '../support/node.js';
import { skipWithoutDebian } from '../support/debian.js';
import { RunningNginx } from './support/nginx-server.js';

/*
 * Junction behind a real nginx, configured as docs/reverse-proxy.md tells operators to: WebSocket
 * upgrades and plain HTTP through one `location /`, X-Forwarded-For / X-Forwarded-Proto set by
 * nginx, and Junction trusting 127.0.0.1 (where nginx connects from) on one listener only.
 */

const skip = skipWithoutDebian('nginx');
/** The name browsers reach the site by; nginx passes it on (proxy_set_header Host $host). */
const publicName = 'app.example.test';

/** The headers every proxied location sets. Repeated in each location on purpose: a location
 * with any proxy_set_header of its own inherits none from the server level. */
const proxyHeaders = `
      proxy_http_version 1.1;
      proxy_set_header Host $host;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_read_timeout 1h;
      proxy_send_timeout 1h;
      proxy_buffering off;`;

function nginxHttpBlock(trusting: number, untrusting: number): (port: number) => string {
  return (port) => `
  map $http_upgrade $connection_upgrade {
    default upgrade;
    ''      close;
  }
  upstream junction { server 127.0.0.1:${trusting}; }
  upstream junction_untrusting { server 127.0.0.1:${untrusting}; }
  server {
    listen 127.0.0.1:${port};
    # The documented setup: nginx appends the address it saw to the client's X-Forwarded-For.
    location / {
      proxy_pass http://junction;${proxyHeaders}
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
    # As if nginx had learnt the client's address from a front load balancer.
    location = /fixed/ws {
      proxy_pass http://junction/ws;${proxyHeaders}
      proxy_set_header X-Forwarded-For "203.0.113.9";
    }
    # The HTTP publisher, for a backend whose address the front load balancer reported.
    location = /fixed/publish {
      proxy_pass http://junction/publish;${proxyHeaders}
      proxy_set_header X-Forwarded-For "203.0.113.9";
    }
    # The same header, to a listener that trusts no proxy.
    location = /untrusted/ws {
      proxy_pass http://junction_untrusting/ws;${proxyHeaders}
      proxy_set_header X-Forwarded-For "203.0.113.9";
    }
  }`;
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** A request whose path goes out exactly as written (no client-side ".." or escape clean-up). */
function get(url: string, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The peer label the router recorded for `client`'s session, through the meta API. */
async function peerOf(client: OpenSession): Promise<string> {
  const details = await client.session.call('wamp.session.get', [client.session.id]);
  return details.transport.peer as string;
}

describe('Junction behind nginx', { skip }, () => {
  let dir: string;
  let node: Awaited<ReturnType<typeof startTestNode>>;
  let nginx: RunningNginx;
  const clients: OpenSession[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'junction-nginx-site-'));
    await mkdir(join(dir, 'site'));
    await writeFile(join(dir, 'site', 'index.html'), '<h1>behind nginx</h1>');
    await writeFile(join(dir, 'site', 'hello.txt'), 'hello through nginx');
    await writeFile(join(dir, 'outside.txt'), 'SECRET-OUTSIDE');

    const config: JunctionConfig = testConfig();
    const web = config.listeners[0]!;
    web.trustedProxies = ['127.0.0.1'];
    // The public name nginx passes on as Host (docs/reverse-proxy.md): a page served there may POST to the bridge.
    web.allowedHosts = [publicName];
    web.paths['/static'] = {
      type: 'static', directory: join(dir, 'site'), defaultFile: 'index.html', directoryListing: false,
      cacheTimeoutSeconds: 60, mimeTypes: {},
    };
    web.paths['/info'] = { type: 'nodeinfo' };
    web.paths['/health'] = { type: 'health' };
    web.paths['/publish'] = {
      type: 'publisher', realm: 'realm1', role: 'anonymous',
      options: { postBodyLimit: 8192, requireIp: ['203.0.113.0/24'], requireTls: false },
    };
    web.paths['/sse'] = {
      type: 'sse', realm: 'realm1', auth: { anonymous: { type: 'static', role: 'anonymous' } },
      cookieName: 'junction_ticket', heartbeatMs: 15_000, maxTopics: 8, maxBufferedBytes: 1_048_576, maxStreams: 10_000, maxPerAddress: 100, resumeWaitMs: 1000,
    };
    config.listeners.push({ ...web, id: 'untrusting', trustedProxies: [], paths: { '/ws': web.paths['/ws']! } });
    node = await startTestNode(config);
    nginx = await RunningNginx.start(nginxHttpBlock(node.ports.get('test')!, node.ports.get('untrusting')!));
  });

  after(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await nginx?.stop();
    await node?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function open(path: string, extra: Record<string, unknown> = {}, serializer: 'json' | 'msgpack' = 'json'): Promise<OpenSession> {
    const client = await openAutobahn(`ws://127.0.0.1:${nginx.port}${path}`, serializer, extra);
    clients.push(client);
    return client;
  }

  it('carries WAMP over WebSocket both ways: AutobahnJS subscribes and receives an event', async () => {
    const subscriber = await open('/ws');
    const publisher = await open('/fixed/ws', {}, 'msgpack');
    let deliver!: (args: unknown[]) => void;
    const received = new Promise<unknown[]>((resolve) => (deliver = resolve));
    await subscriber.session.subscribe('nginx.news', (args: unknown[]) => deliver(args));
    await publisher.session.publish('nginx.news', [{ via: 'nginx' }], {}, { acknowledge: true });
    assert.deepEqual(await received, [{ via: 'nginx' }]);
  });

  it('records the X-Forwarded-For address as the session\'s peer when nginx is trusted', async () => {
    const fixed = await open('/fixed/ws');
    assert.equal(await peerOf(fixed), 'tcp4:203.0.113.9:0');
    // $proxy_add_x_forwarded_for: nginx appends 127.0.0.1 (trusted) to what the client sent.
    const appended = await open('/ws', { transports: [{ type: 'websocket', headers: { 'X-Forwarded-For': '198.51.100.20' } }] });
    assert.equal(await peerOf(appended), 'tcp4:198.51.100.20:0');
  });

  it('does not believe X-Forwarded-For on a listener that trusts no proxy', async () => {
    const untrusted = await open('/untrusted/ws');
    const peer = await peerOf(untrusted);
    assert.match(peer, /^tcp4:127\.0\.0\.1:[1-9]\d*$/);
    assert.doesNotMatch(peer, /203\.0\.113\.9/);
  });

  it('serves static files through nginx, with 304 revalidation, and still refuses traversal', async () => {
    const hello = await get(nginx.url, '/static/hello.txt');
    assert.equal(hello.status, 200);
    assert.equal(hello.text, 'hello through nginx');
    assert.equal(hello.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(hello.headers['cache-control'], 'public, max-age=60');
    const again = await get(nginx.url, '/static/hello.txt', { 'if-none-match': String(hello.headers.etag) });
    assert.equal(again.status, 304);
    assert.equal((await get(nginx.url, '/static/')).text, '<h1>behind nginx</h1>');
    // nginx passes the request URI on as the client wrote it; Junction refuses the escape itself.
    const escape = await get(nginx.url, '/static/%2e%2e/outside.txt');
    assert.equal(escape.status, 400);
    assert.doesNotMatch(escape.text, /SECRET-OUTSIDE/);
  });

  it('answers health and nodeinfo through nginx', async () => {
    const health = await get(nginx.url, '/health');
    assert.equal(health.status, 200);
    assert.deepEqual(JSON.parse(health.text), { status: 'serving' });
    const info = JSON.parse((await get(nginx.url, '/info')).text) as { name: string; realms: { name: string; sessions: number }[] };
    assert.equal(info.name, 'junction');
    assert.deepEqual(info.realms.map((realm) => realm.name), ['realm1']);
    assert.equal(info.realms[0]!.sessions, clients.length, 'client sessions only: the publisher\'s bridge session is not counted');
  });

  const publish = (path: string, topic: string, args: unknown[]) =>
    fetch(`${nginx.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ topic, args }) });

  it('carries HTTP publishes through nginx; require_ip sees the forwarded address', async () => {
    const subscriber = await open('/ws');
    let deliver!: (args: unknown[]) => void;
    const received = new Promise<unknown[]>((resolve) => (deliver = resolve));
    await subscriber.session.subscribe('nginx.bridge', (args: unknown[]) => deliver(args));
    const allowed = await publish('/fixed/publish', 'nginx.bridge', ['from the backend']);
    assert.equal(allowed.status, 200, await allowed.clone().text());
    assert.ok(Number.isInteger(((await allowed.json()) as { id: number }).id));
    assert.deepEqual(await received, ['from the backend']);
    // Through `location /` the forwarded address is this test's own 127.0.0.1: not in require_ip.
    const refused = await publish('/publish', 'nginx.bridge', ['from elsewhere']);
    assert.equal(refused.status, 403);
    assert.match(((await refused.json()) as { message: string }).message, /127\.0\.0\.1/);
  });

  it("takes a page's same-origin POST for the public name in allowed_hosts, and refuses a rebinding page's (421)", async () => {
    const post = (host: string) => new Promise<number>((resolve, reject) => {
      const body = JSON.stringify({ topic: 'nginx.page', args: [host] });
      const req = httpRequest({ host: '127.0.0.1', port: nginx.port, path: '/fixed/publish', method: 'POST',
        headers: { host, origin: `http://${host}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      });
      req.on('error', reject);
      req.end(body);
    });
    assert.equal(await post(publicName), 200);
    assert.equal(await post(`evil.example:${nginx.port}`), 421);
  });

  it('streams Server-Sent Events through nginx without buffering', async () => {
    const controller = new AbortController();
    const stream = await fetch(`${nginx.url}/sse?topic=nginx.sse`, { signal: controller.signal });
    assert.equal(stream.status, 200);
    assert.match(stream.headers.get('content-type') ?? '', /text\/event-stream/);
    const reader = stream.body!.getReader();
    const published = await publish('/fixed/publish', 'nginx.sse', ['live']);
    assert.equal(published.status, 200);
    const { id } = (await published.json()) as { id: number };
    let text = '';
    while (!text.includes('"live"')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString('utf8');
    }
    controller.abort();
    assert.match(text, new RegExp(`id: ${id}:\\S+\\nevent: nginx\\.sse\\ndata: \\{"args":\\["live"\\]`));
  });
});
