import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import fc from 'fast-check';
import { generate, type Packet } from 'mqtt-packet';
import { freePort, type RunningJunction } from './cli.js';
import { skipWithoutDebian } from './debian.js';
import { checkFuzz, type WampBystander } from './fuzz.js';
import { processesWorkingIn } from './processes.js';
import { selfSignedCertificate, skipTls } from './tls.js';
import { Arrivals, waitFor } from './wait.js';

/**
 * The reset fuzz's parts (test/hostile/reset-fuzz.test.ts runs them against one `junction
 * start`, reset-fuzz-workers.test.ts against one with `--workers 2`): a config with every door
 * open, each door's exchange as steps, and a client that plays an exchange up to a random point
 * and leaves it there (RST, FIN or close).
 */

/** How long a step may wait for the answer it expects (an answer that never comes is a finding too). */
const ANSWER_MS = 5_000;
/** How long a door may take to close its side once the client ended its own (it takes milliseconds; the rest is for a loaded machine). */
const CLOSE_MS = 15_000;

/** The gauges of what a client holds open: each must come back once the fuzzer's clients are gone. */
export const openGauges = [
  'junction_connections', 'junction_sessions', 'junction_rawsocket_connections', 'junction_pusher_connections', 'junction_mqtt_connections',
  'junction_sse_streams_open', 'junction_longpoll_transports', 'junction_pusher_api_requests_in_flight', 'junction_http_forward_requests_in_flight',
  'junction_ws_proxy_connections', 'junction_testee_connections', 'junction_stream_testee_connections', 'junction_cgi_requests_in_flight',
] as const;

/** One step of an exchange: the bytes to send (built from what was received so far) and, when the door answers it, when that answer is in. */
interface Step {
  send: (received: string) => Buffer;
  answered?: (received: string) => boolean;
}

export interface Door {
  name: string;
  port: () => number;
  /** Spoken over TLS (the steps run inside it; the handshake is the step before them). */
  tls?: boolean;
  steps: Step[];
}

type Ending = 'reset' | 'end' | 'close';

const text = (value: string): Buffer => Buffer.from(value, 'latin1');
const json = (value: unknown): string => JSON.stringify(value);
const has = (needle: string) => (received: string): boolean => received.includes(needle);

/** A client's WebSocket frame, text or binary, masked (with a zero key, which leaves the payload as is). */
function wsFrame(payload: string | Buffer): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const length = body.length < 126 ? Buffer.from([0x80 | body.length]) : Buffer.from([0x80 | 126, body.length >> 8, body.length & 0xff]);
  return Buffer.concat([Buffer.from([typeof payload === 'string' ? 0x81 : 0x82]), length, Buffer.alloc(4), body]);
}

/** A RawSocket frame (type 0, a WAMP message). */
function rawsocketFrame(payload: string): Buffer {
  const body = Buffer.from(payload, 'utf8');
  return Buffer.concat([Buffer.from([0, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff]), body]);
}

const mqttPacket = (packet: Record<string, unknown>): Buffer => generate(packet as unknown as Packet, { protocolVersion: 4 });

/** An MQTT client's session, each packet wrapped by `wrap` (a WebSocket frame on an mqtt path). */
const mqttSession = (wrap: (packet: Buffer) => Buffer = (packet) => packet): Step[] => [
  { send: () => wrap(mqttPacket({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: '', clean: true, keepalive: 0 })), answered: has('\x20\x02') },
  { send: () => wrap(mqttPacket({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'reset/#', qos: 1 }] })), answered: has('\x90\x03') },
  { send: () => wrap(mqttPacket({ cmd: 'publish', topic: 'reset/x', payload: Buffer.from('m'.repeat(300)), qos: 1, messageId: 2 })) },
];

const rawsocketSession: Step[] = [
  { send: () => Buffer.from([0x7f, 0xf1, 0, 0]), answered: (received) => received.length >= 4 },
  { send: () => rawsocketFrame(json([1, 'realm1', { roles: { subscriber: {} } }])), answered: has('[2,') },
  { send: () => rawsocketFrame(json([32, 1, {}, 'x'.repeat(300)])) },
];

function httpRequest(method: string, path: string, headers: Record<string, string> = {}, body = ''): Step[] {
  const head = Object.entries({ host: '127.0.0.1', ...headers, ...(body === '' ? {} : { 'content-length': String(Buffer.byteLength(body)) }) })
    .map(([name, value]) => `${name}: ${value}\r\n`).join('');
  const answered = has('\r\n\r\n');
  if (body === '') return [{ send: () => text(`${method} ${path} HTTP/1.1\r\n${head}\r\n`), answered }];
  return [{ send: () => text(`${method} ${path} HTTP/1.1\r\n${head}\r\n`) }, { send: () => text(body), answered }];
}

const upgradeHeaders = (protocol: string): Record<string, string> => ({
  upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13',
  ...(protocol === '' ? {} : { 'sec-websocket-protocol': protocol }),
});

const wamp2Session = (path: string): Step[] => [
  { send: () => httpRequest('GET', path, upgradeHeaders('wamp.2.json'))[0]!.send(''), answered: has('\r\n\r\n') },
  { send: () => wsFrame(json([1, 'realm1', { roles: { subscriber: {}, publisher: {}, caller: {} } }])), answered: has('[2,') },
  { send: () => wsFrame(json([32, 1, {}, 'reset.topic'])), answered: has('[33,') },
  { send: () => wsFrame(json([16, 2, { acknowledge: true }, 'reset.topic', ['x'.repeat(400)]])), answered: has('[17,') },
  // A WebSocket close (code 1000): the client leaves during the closing handshake.
  { send: () => Buffer.concat([Buffer.from([0x88, 0x82]), Buffer.alloc(4), Buffer.from([0x03, 0xe8])]) },
];

/** A WebSocket upgrade with an HTTP request behind it in the same write: the bytes after the upgrade are no WebSocket frame. */
const requestBehindUpgrade = (path: string): Step[] => [
  { send: () => Buffer.concat([httpRequest('GET', path, upgradeHeaders('wamp.2.json'))[0]!.send(''), httpRequest('GET', '/static/hello.txt')[0]!.send('')]), answered: has('101 Switching') },
];

/** A resumable.js chunk, fields first, for the upload path (form_fields below). */
function uploadChunk(): { body: string; type: string } {
  const boundary = 'resetfuzzboundary';
  const field = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const content = 'c'.repeat(600);
  const body = field('name', 'reset.txt') + field('type', 'text/plain') + field('size', '600') + field('n', '1') + field('size1', '600') + field('count', '1')
    + `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="blob"\r\nContent-Type: application/octet-stream\r\n\r\n${content}\r\n--${boundary}--\r\n`;
  return { body, type: `multipart/form-data; boundary=${boundary}` };
}

/** The first bytes a TLS client sends (its ClientHello), captured from a client talking to a plain TCP server. */
async function clientHello(): Promise<Buffer> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const first = new Promise<Buffer>((resolve) => server.once('connection', (socket) => socket.once('data', (chunk: Buffer) => {
    resolve(chunk);
    socket.destroy();
  })));
  const client = tlsConnect({ port: (server.address() as { port: number }).port, host: '127.0.0.1', servername: 'localhost', rejectUnauthorized: false });
  client.on('error', () => undefined);
  const hello = await first;
  client.destroy();
  await new Promise((resolve) => server.close(resolve));
  return hello;
}

/**
 * A CGI script (run by /bin/sh) that reads its body, then streams a long answer through a pipe
 * of two more programs (its process group: all three must end when the client leaves), and one
 * that answers only after a while, in a `sleep`.
 */
const cgiScripts = {
  'stream.sh': 'head -c "${CONTENT_LENGTH:-0}" >/dev/null\nprintf \'Content-Type: text/plain\\n\\n\'\nhead -c 2000000 /dev/zero | tr \'\\0\' c\n',
  'slow.sh': 'sleep 0.3\nprintf \'Content-Type: text/plain\\n\\nslow answer\'\n',
};

/** A WSGI app that reads its body, then streams a long answer. */
const wsgiApp = `
def application(environ, start_response):
    environ['wsgi.input'].read(int(environ.get('CONTENT_LENGTH') or 0))
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return (b'w' * 65536 for _ in range(24))
`;

/** The WSGI door runs where its host can (Twisted installed). */
const withWsgi = skipWithoutDebian('python3-twisted') === false;

/** A POST of a long body to a program (a CGI script, the WSGI app), answered once its answer (200) begins. */
function programAnswers(path: string): Step[] {
  const [head, body] = httpRequest('POST', path, { 'content-type': 'text/plain' }, 'b'.repeat(200_000));
  return [head!, { ...body!, answered: (received) => received.startsWith('HTTP/1.1 200 ') && received.includes('\r\n\r\n') }];
}

/** A node's config, written to `dir`/config.json, and the doors it opens. */
export interface ResetFuzzPlan {
  /** The web transport's port (WebSocket, metrics, info...). */
  web: number;
  doors: Door[];
}

/** Writes, in `dir`, a config of one router with every door open (and what its paths serve); returns its doors. */
export async function prepareResetFuzz(dir: string): Promise<ResetFuzzPlan> {
  mkdirSync(join(dir, 'static'));
  mkdirSync(join(dir, 'uploaded'));
  mkdirSync(join(dir, 'cgi'));
  // Large enough that a client leaving after the headers leaves mid-body.
  writeFileSync(join(dir, 'static', 'hello.txt'), 'hello\n'.repeat(400_000));
  for (const [name, script] of Object.entries(cgiScripts)) writeFileSync(join(dir, 'cgi', name), script);
  writeFileSync(join(dir, 'resetapp.py'), wsgiApp);
  const certificate = selfSignedCertificate(dir);
  const hello = await clientHello();
  const ports = new Map<string, number>();
  // Ports picked beforehand: the reverse proxies' backend is the web transport itself.
  for (const name of ['web', 'tls', 'universal', 'universal_tls', 'raw', 'raw_tls', 'mqtt', 'mqtt_tls', 'pusher', 'testee', 'stream', 'flash']) ports.set(name, await freePort());
  const tcp = (name: string) => ({ type: 'tcp', interface: '127.0.0.1', port: ports.get(name)! });
  const anonymous = { anonymous: { type: 'static', role: 'anonymous' } };
  const paths = {
    ws: { type: 'websocket', options: { wamp1: { realm: 'realm1', role: 'anonymous' } } },
    lp: { type: 'longpoll', options: { request_timeout: 2, session_timeout: 2 } },
    sse: { type: 'sse', realm: 'realm1' },
    publish: { type: 'publisher', realm: 'realm1', role: 'anonymous' },
    call: { type: 'caller', realm: 'realm1', role: 'anonymous' },
    hook: { type: 'webhook', realm: 'realm1', role: 'anonymous', options: { topic: 'reset.hook' } },
    static: { type: 'static', directory: join(dir, 'static') },
    upload: {
      type: 'upload', realm: 'realm1', role: 'anonymous', directory: join(dir, 'uploaded'),
      form_fields: { file_name: 'name', mime_type: 'type', total_size: 'size', chunk_number: 'n', chunk_size: 'size1', total_chunks: 'count', content: 'file' },
    },
    console: { type: 'console', realm: 'realm1', auth: anonymous },
    info: { type: 'nodeinfo' },
    metrics: { type: 'metrics' },
    // Nothing listens there: the proxy answers 502.
    nowhere: { type: 'reverseproxy', host: '127.0.0.1', port: await freePort() },
    forwarded: { type: 'reverseproxy', host: '127.0.0.1', port: ports.get('web')!, path: '/static' },
    proxied: { type: 'websocket-reverseproxy', backend: { type: 'websocket', endpoint: { type: 'tcp', host: '127.0.0.1', port: ports.get('web')! }, url: `ws://127.0.0.1:${ports.get('web')!}/ws` } },
    mqtt: { type: 'mqtt', options: { realm: 'realm1' } },
    cgi: { type: 'cgi', directory: join(dir, 'cgi'), processor: '/bin/sh' },
    ...(withWsgi ? { app: { type: 'wsgi', module: 'resetapp', object: 'application' } } : {}),
  };
  const universalParts = { rawsocket: {}, mqtt: { options: { realm: 'realm1' } }, websocket: { ws: {} } };
  const config = {
    version: 2,
    workers: [{
      type: 'router',
      options: { pythonpath: [dir] },
      realms: [{ name: 'realm1', roles: [{ name: 'anonymous', 'allow-by-default': true }] }],
      transports: [
        { type: 'web', id: 'web', endpoint: tcp('web'), paths },
        ...(certificate ? [
          { type: 'web', id: 'tls', endpoint: { ...tcp('tls'), tls: certificate }, paths: { ws: paths.ws, static: paths.static } },
          { type: 'universal', id: 'universal_tls', endpoint: { ...tcp('universal_tls'), tls: certificate }, ...universalParts },
          { type: 'rawsocket', id: 'raw_tls', endpoint: { ...tcp('raw_tls'), tls: certificate } },
          { type: 'mqtt', id: 'mqtt_tls', endpoint: { ...tcp('mqtt_tls'), tls: certificate }, options: { realm: 'realm1' } },
        ] : []),
        { type: 'universal', id: 'universal', endpoint: tcp('universal'), ...universalParts },
        { type: 'rawsocket', id: 'raw', endpoint: tcp('raw') },
        { type: 'mqtt', id: 'mqtt', endpoint: tcp('mqtt'), options: { realm: 'realm1' } },
        { type: 'websocket.testee', id: 'testee', endpoint: tcp('testee') },
        { type: 'stream.testee', id: 'stream', endpoint: tcp('stream') },
        { type: 'flashpolicy', id: 'flash', endpoint: tcp('flash') },
        { type: 'pusher', id: 'pusher', endpoint: tcp('pusher'), apps: [{ id: 'app1', key: 'app-key', secret: 'app-secret', realm: 'realm1', role: 'anonymous' }] },
      ],
    }],
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return { web: ports.get('web')!, doors: resetFuzzDoors((name) => () => ports.get(name)!, hello) };
}

/** Every door's exchange, and those of the HTTP doors again pipelined behind a long answer. */
function resetFuzzDoors(portOf: (name: string) => () => number, hello: Buffer): Door[] {
  const web = portOf('web');
  const chunk = uploadChunk();
  const ownDoors: Door[] = [
    { name: 'static GET, then another', port: web, steps: [...httpRequest('GET', '/static/hello.txt'), ...httpRequest('GET', '/static/hello.txt')] },
    { name: 'a 404', port: web, steps: httpRequest('GET', '/nowhere') },
    { name: 'an upgrade refused (404)', port: web, steps: httpRequest('GET', '/static/', upgradeHeaders('wamp.2.json')) },
    { name: 'a CONNECT (405)', port: web, steps: httpRequest('CONNECT', '127.0.0.1:1') },
    { name: 'publisher', port: web, steps: httpRequest('POST', '/publish', { 'content-type': 'application/json' }, json({ topic: 'reset.news', args: ['y'.repeat(300)] })) },
    { name: 'publisher, Expect: 100-continue', port: web, steps: [
      { send: () => text(`POST /publish HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nexpect: 100-continue\r\ncontent-length: 40\r\n\r\n`), answered: has('100 Continue') },
      { send: () => text(json({ topic: 'reset.news', args: ['z'.repeat(16)] })) },
    ] },
    { name: 'caller', port: web, steps: httpRequest('POST', '/call', { 'content-type': 'application/json' }, json({ procedure: 'bystander.echo', args: ['r'.repeat(200)] })) },
    { name: 'webhook', port: web, steps: httpRequest('POST', '/hook', { 'content-type': 'text/plain' }, 'w'.repeat(500)) },
    { name: 'upload', port: web, steps: httpRequest('POST', '/upload', { 'content-type': chunk.type }, chunk.body) },
    { name: 'console', port: web, steps: httpRequest('GET', '/console/') },
    { name: 'nodeinfo', port: web, steps: httpRequest('GET', '/info') },
    { name: 'metrics', port: web, steps: httpRequest('GET', '/metrics') },
    { name: 'reverse proxy (502)', port: web, steps: httpRequest('GET', '/nowhere/x') },
    { name: 'SSE stream held', port: web, steps: [{ ...httpRequest('GET', '/sse?topic=reset.news')[0]!, answered: has('\r\n\r\n') }] },
    { name: 'long-poll, a receive held', port: web, steps: [
      ...httpRequest('POST', '/lp/open', { 'content-type': 'application/json' }, json({ protocols: ['wamp.2.json'] })),
      {
        send: (received) => {
          const body = json([1, 'realm1', { roles: { subscriber: {} } }]);
          return text(`POST /lp/${/"transport":\s*"([^"]+)"/.exec(received)?.[1]}/send HTTP/1.1\r\nhost: x\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
        },
        answered: (received) => received.split('HTTP/1.1').length > 2 && received.endsWith('\r\n\r\n'),
      },
      { send: (received) => text(`POST /lp/${/"transport":\s*"([^"]+)"/.exec(received)?.[1]}/receive HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n`), answered: has('[2,') },
      { send: (received) => text(`POST /lp/${/"transport":\s*"([^"]+)"/.exec(received)?.[1]}/receive HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n`) },
    ] },
    { name: 'CGI, a long body read, a long answer streamed, then another', port: web, steps: [...programAnswers('/cgi/stream.sh'), ...httpRequest('GET', '/cgi/stream.sh')] },
    { name: 'CGI, a script still running', port: web, steps: [{ ...httpRequest('GET', '/cgi/slow.sh?x=1')[0]!, answered: has('slow answer') }] },
    ...(withWsgi ? [{ name: 'WSGI, a long body forwarded, a long answer streamed, then another', port: web, steps: [...programAnswers('/app/x'), ...httpRequest('GET', '/app/y')] }] : []),
    { name: 'WebSocket WAMP v2', port: web, steps: wamp2Session('/ws') },
    { name: 'a request pipelined behind an upgrade', port: web, steps: requestBehindUpgrade('/ws') },
    { name: 'WebSocket WAMP v1', port: web, steps: [
      { send: () => httpRequest('GET', '/ws', upgradeHeaders('wamp'))[0]!.send(''), answered: has('[0,') },
      { send: () => wsFrame(json([5, 'http://example.com/reset'])) },
    ] },
    { name: 'Pusher WebSocket', port: portOf('pusher'), steps: [
      { send: () => httpRequest('GET', '/app/app-key?protocol=7', upgradeHeaders(''))[0]!.send(''), answered: has('connection_established') },
      { send: () => wsFrame(json({ event: 'pusher:subscribe', data: { channel: 'reset' } })), answered: has('subscription_succeeded') },
      { send: () => wsFrame(json({ event: 'pusher:ping', data: 'p'.repeat(200) })) },
    ] },
    { name: 'Pusher HTTP API (refused)', port: portOf('pusher'), steps: httpRequest('POST', '/apps/app1/events', { 'content-type': 'application/json' }, json({ name: 'e', channels: ['reset'], data: '{}' })) },
    { name: 'MQTT', port: portOf('mqtt'), steps: mqttSession() },
    { name: 'MQTT over WebSocket', port: web, steps: [
      { send: () => httpRequest('GET', '/mqtt', upgradeHeaders('mqtt'))[0]!.send(''), answered: has('\r\n\r\n') },
      ...mqttSession(wsFrame),
    ] },
    { name: 'RawSocket', port: portOf('raw'), steps: rawsocketSession },
    { name: 'universal, RawSocket', port: portOf('universal'), steps: rawsocketSession },
    { name: 'universal, MQTT', port: portOf('universal'), steps: mqttSession() },
    { name: 'universal, WebSocket', port: portOf('universal'), steps: wamp2Session('/ws') },
    { name: 'universal, a request pipelined behind an upgrade', port: portOf('universal'), steps: requestBehindUpgrade('/ws') },
    { name: 'console WebSocket', port: web, steps: wamp2Session('/console/ws') },
    { name: 'WebSocket reverse proxy to /ws', port: web, steps: wamp2Session('/proxied') },
    { name: 'reverse proxy to /static, left mid-answer', port: web, steps: [...httpRequest('GET', '/forwarded/hello.txt'), ...httpRequest('GET', '/forwarded/hello.txt')] },
    { name: 'reverse proxy, a POST forwarded', port: web, steps: httpRequest('POST', '/forwarded/hello.txt', { 'content-type': 'text/plain' }, 'f'.repeat(3000)) },
    { name: 'WebSocket echo transport', port: portOf('testee'), steps: [
      { send: () => httpRequest('GET', '/', upgradeHeaders(''))[0]!.send(''), answered: has('\r\n\r\n') },
      { send: () => wsFrame('e'.repeat(2000)) },
    ] },
    { name: 'TCP echo transport', port: portOf('stream'), steps: [{ send: () => text('s'.repeat(5000)), answered: (received) => received.length >= 5000 }, { send: () => text('s'.repeat(100)) }] },
    { name: 'Flash policy', port: portOf('flash'), steps: [{ send: () => text('<policy-file-request/>\0'), answered: has('</cross-domain-policy>') }] },
    ...(skipTls ? [] : [
      { name: 'TLS handshake', port: portOf('tls'), steps: [{ send: () => hello, answered: (received: string) => received.length > 0 }] },
      { name: 'TLS, static GET', port: portOf('tls'), tls: true, steps: httpRequest('GET', '/static/hello.txt') },
      { name: 'TLS, WebSocket WAMP v2', port: portOf('tls'), tls: true, steps: wamp2Session('/ws') },
      { name: 'universal over TLS, RawSocket', port: portOf('universal_tls'), tls: true, steps: rawsocketSession },
      { name: 'universal over TLS, MQTT', port: portOf('universal_tls'), tls: true, steps: mqttSession() },
      { name: 'universal over TLS, WebSocket', port: portOf('universal_tls'), tls: true, steps: wamp2Session('/ws') },
      { name: 'RawSocket over TLS', port: portOf('raw_tls'), tls: true, steps: rawsocketSession },
      { name: 'MQTT over TLS', port: portOf('mqtt_tls'), tls: true, steps: mqttSession() },
    ]),
  ];
  // These again behind a large static answer on the same connection (pipelined): their answer waits its turn.
  const pipelined = ['publisher', 'caller', 'webhook', 'upload', 'nodeinfo', 'SSE stream held', 'reverse proxy (502)', 'reverse proxy, a POST forwarded',
    'WebSocket WAMP v2', 'an upgrade refused (404)', 'a CONNECT (405)', 'CGI, a script still running'];
  return [...ownDoors, ...ownDoors.filter((door) => pipelined.includes(door.name))
    .map((door) => ({ ...door, name: `${door.name}, pipelined behind a static GET`, steps: [...httpRequest('GET', '/static/hello.txt'), ...door.steps] }))];
}

/** A socket's received bytes (as latin1 text) and a wait for them. */
class Reading {
  received = '';
  closed = false;
  private readonly arrivals = new Arrivals({ stopped: () => (this.closed ? 'the connection closed' : undefined), received: () => `received ${JSON.stringify(this.received.slice(0, 300))}` });

  constructor(socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.received += chunk.toString('latin1');
      this.arrivals.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.arrivals.wake();
    });
    socket.on('error', () => undefined);
  }

  until(condition: (received: string) => boolean, what: string): Promise<void> {
    return this.arrivals.until(() => condition(this.received), what, ANSWER_MS);
  }

  /** Waits for the other side to close: after our FIN, no door may hold the connection half-open. */
  closing(what: string): Promise<void> {
    return this.arrivals.until(() => this.closed, `the server to close its side after ${what}`, CLOSE_MS);
  }
}

/** Where and how a client leaves a door's exchange. */
interface Leaving {
  /** The steps before this one are played whole, each answered. */
  cut: number;
  /** This part of step `cut`'s bytes is sent. */
  fraction: number;
  /** Then it stops reading (what the door sends piles up in its buffers), or reads on. */
  reading: boolean;
  /** Then it waits this long (ms) and leaves. */
  pause: number;
  ending: Ending;
}

/** Plays `door`'s exchange and leaves it as `leaving` says. */
export async function leaveAt(door: Door, { cut, fraction, reading: keepReading, pause, ending }: Leaving): Promise<void> {
  const tcp = connect(door.port(), '127.0.0.1');
  tcp.on('error', () => undefined);
  await new Promise((resolve) => tcp.once('connect', resolve));
  let socket: Socket = tcp;
  if (door.tls) {
    const secure = tlsConnect({ socket: tcp, servername: 'localhost', rejectUnauthorized: false });
    secure.on('error', () => undefined);
    await new Promise((resolve) => secure.once('secureConnect', resolve));
    socket = secure;
  }
  const reading = new Reading(socket);
  try {
    for (let i = 0; i < Math.min(cut, door.steps.length); i++) {
      const step = door.steps[i]!;
      socket.write(step.send(reading.received));
      if (step.answered) await reading.until(step.answered, `${door.name} step ${i}'s answer`);
    }
    if (cut < door.steps.length) {
      const bytes = door.steps[cut]!.send(reading.received);
      socket.write(bytes.subarray(0, Math.floor(bytes.length * fraction)));
    }
    if (!keepReading) socket.pause();
    await new Promise((resolve) => setTimeout(resolve, pause));
  } finally {
    if (ending === 'reset') tcp.resetAndDestroy();
    else if (ending === 'close') tcp.destroy();
    else {
      socket.end();
      socket.resume();
      await reading.closing(`${door.name}'s step ${cut}`);
      tcp.destroy();
    }
  }
}

/** Plays each door's exchange to its last answer (what the fuzzed cases cut), then checks the bystander. */
export async function playEveryDoor(doors: Door[], bystander: WampBystander): Promise<void> {
  for (const door of doors) {
    assert.ok(door.port() > 0, `${door.name}: no port`);
    await leaveAt(door, { cut: door.steps.length, fraction: 0, reading: true, pause: 0, ending: 'reset' });
  }
  await bystander.works('after every door');
}

/** How the cases of leaveDoorsAtRandom are drawn. */
export interface CaseShape {
  /** Half the cases leave before their first step is sent whole (as the connection is accepted and handed on). */
  firstBytes?: boolean;
  /** Up to this many clients play and leave at once in each case. */
  together?: number;
}

/**
 * `count` fuzzed cases (`name`, for its replay): each picks doors and where and how their clients
 * leave; after each, the process is still running and `still` (the bystanders work) holds.
 */
export async function leaveDoorsAtRandom(name: string, doors: Door[], junction: RunningJunction, still: (what: string) => Promise<void>, count: number, shape: CaseShape = {}): Promise<void> {
  const client = fc.record({
    door: fc.integer({ min: 0, max: doors.length - 1 }),
    leaving: fc.record({
      cut: shape.firstBytes ? fc.oneof(fc.constant(0), fc.nat({ max: 4 })) : fc.nat({ max: 4 }),
      fraction: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      reading: fc.boolean(),
      // Mostly at once; sometimes after the door had time to act on what it got.
      pause: fc.oneof(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 100, max: 300 })),
      ending: fc.constantFrom<Ending>('reset', 'reset', 'end', 'close'),
    }),
  });
  await checkFuzz(name, fc.asyncProperty(fc.array(client, { minLength: 1, maxLength: shape.together ?? 1 }), async (clients) => {
    const played = clients.map(({ door, leaving }) => {
      const chosen = doors[door]!;
      const cut = Math.min(leaving.cut, chosen.steps.length);
      return { what: `${leaving.ending} in ${chosen.name} at step ${cut} (${leaving.fraction.toFixed(2)} of it${leaving.reading ? '' : ', not reading'})`, left: leaveAt(chosen, { ...leaving, cut }) };
    });
    const what = played.map((one) => one.what).join('; ');
    await Promise.all(played.map((one) => one.left));
    assert.equal(junction.child.exitCode, null, `the node exited after ${what}: ${junction.stderr}`);
    await still(`after ${what}`);
  }), count);
}

/** Waits until no CGI script of prepareResetFuzz(`dir`) runs, nor anything it started: they run in its folder (orphans too). */
export async function noCgiProgramLeft(dir: string): Promise<void> {
  const left = () => processesWorkingIn(join(dir, 'cgi'));
  await waitFor(() => left().length === 0, 'every CGI script to end', 10_000).catch(() => assert.fail(`programs of CGI scripts left running: ${left().join(', ')}`));
}

/** GETs `paths` in turn on one kept-alive connection: their bodies. Kept open until `release` is called (by default at once). */
export async function getInTurn(port: number, paths: string[], release?: Promise<void>): Promise<string[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const bodies: string[] = [];
    for (const path of paths) {
      bodies.push(await new Promise<string>((resolve, reject) => {
        get({ host: '127.0.0.1', port, path, agent }, (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString()));
          response.on('end', () => resolve(body));
        }).on('error', reject);
      }));
    }
    return bodies;
  } finally {
    void (release ?? Promise.resolve()).then(() => agent.destroy());
  }
}

/** A node's /metrics (on a connection of its own). */
export async function scrape(port: number): Promise<string> {
  return (await getInTurn(port, ['/metrics']))[0]!;
}
