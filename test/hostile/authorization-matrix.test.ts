import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { Push } from 'zeromq';
import { loadDocument } from '../../src/config/test-support.js';
import { skipWithoutDebian } from '../support/debian.js';
import { LongPollPipe, type WampPipe } from '../support/longpoll-pipe.js';
import { connectMqtt } from '../support/mqtt.js';
import { startTestNode } from '../support/node.js';
import { RawClient } from '../support/raw-client.js';
import { waitFor } from '../support/wait.js';
import { Wamp1Client } from '../support/wamp1-client.js';
import { RawSocketClient } from '../transport/rawsocket-client.js';

/**
 * Authorization on every door: each way in that acts on a realm (WAMP v2 over WebSocket, RawSocket
 * and long-poll; SSE; the HTTP publisher, caller and webhook; upload progress events; Pusher
 * channels, client events and the HTTP API; MQTT subscriptions, publications and wills; WAMP v1
 * pages; wap pages; stdio and ZeroMQ components; the console's procedures) is one
 * principal of a role. A node whose every door has the role `nothing` (no permission) refuses
 * every action with a specific error and counts it in junction_authorization_denied_total; a node
 * whose doors have `sub_a` (only `subscribe` on the prefix `a.`) lets them subscribe there, and
 * refuses publishing there and subscribing elsewhere.
 */

type Outcome = { allowed: true } | { allowed: false; error: string };
/** One action through one door, and what came of it. */
interface Tried {
  door: string;
  action: string;
  uri: string;
  outcome: Outcome;
  /** How much junction_authorization_denied_total grew while it ran. */
  denials: number;
}

const allowed: Outcome = { allowed: true };
const refused = (error: string): Outcome => ({ allowed: false, error });

/** A wap path needs Junction's Python web host, with Jinja2 and Twisted. */
const skipWap = skipWithoutDebian('python3-jinja2') || skipWithoutDebian('python3-twisted');

const everything = { call: true, register: true, publish: true, subscribe: true };
const roles = [
  { name: 'nothing', permissions: [] },
  { name: 'sub_a', permissions: [{ uri: 'a.', match: 'prefix', allow: { subscribe: true } }] },
  { name: 'user', permissions: [{ uri: '', match: 'prefix', allow: everything }] },
];

const appSecret = 'matrix-app-secret';

function documentFor(role: string, dir: string, zeromqAddress: string): unknown {
  const anonymous = { anonymous: { type: 'static', role } };
  // The program waits (at most a minute) for the test's go, then acts; its answers (its stdin) go to a file the test reads.
  const script = [
    `i=0; while [ ! -e "${join(dir, 'go')}" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done`,
    `echo '{"type":"subscribe","topic":"a.x","id":"subscribe a.x"}'`,
    `echo '{"type":"publish","topic":"a.x","options":{"acknowledge":true},"id":"publish a.x"}'`,
    `echo '{"type":"subscribe","topic":"b.x","id":"subscribe b.x"}'`,
    `echo '{"type":"call","procedure":"a.p","id":"call a.p"}'`,
    `echo '{"type":"register","procedure":"a.p","id":"register a.p"}'`,
    `cat > "${join(dir, 'stdio-answers.jsonl')}"`,
  ].join('\n');
  return {
    version: 2,
    workers: [{
      type: 'router',
      realms: [{ name: 'realm1', roles }],
      transports: [
        {
          type: 'web', id: 'web', endpoint: { type: 'tcp', port: 0, interface: '127.0.0.1' },
          paths: {
            ws: { type: 'websocket', auth: anonymous, options: { wamp1: { realm: 'realm1', role } } },
            all: { type: 'websocket', auth: { anonymous: { type: 'static', role: 'user' } } },
            lp: { type: 'longpoll', auth: anonymous },
            sse: { type: 'sse', realm: 'realm1', auth: anonymous },
            publish: { type: 'publisher', realm: 'realm1', role },
            call: { type: 'caller', realm: 'realm1', role },
            hook: { type: 'webhook', realm: 'realm1', role, options: { topic: 'a.hook' } },
            console: { type: 'console', realm: 'realm1', auth: anonymous },
            upload: { type: 'upload', realm: 'realm1', role, directory: dir, form_fields: uploadFields },
            ...(skipWap ? {} : {
              site: { type: 'wap', templates: dir, wamp: { realm: 'realm1', authrole: role }, routes: [{ path: '/', method: 'GET', call: 'a.p', render: 'page.html' }] },
            }),
          },
        },
        { type: 'rawsocket', id: 'raw', endpoint: { type: 'tcp', port: 0, interface: '127.0.0.1' }, auth: anonymous },
        { type: 'mqtt', id: 'mqtt', endpoint: { type: 'tcp', port: 0, interface: '127.0.0.1' }, options: { realm: 'realm1', role } },
        {
          type: 'pusher', id: 'pusher', endpoint: { type: 'tcp', port: 0, interface: '127.0.0.1' },
          apps: [
            { id: 'plain', key: 'plain-key', secret: appSecret, realm: 'realm1', role, client_events: true },
            // Every channel of this app is below a.: its private channels may be subscribed to by sub_a.
            { id: 'under', key: 'under-key', secret: appSecret, realm: 'realm1', role, client_events: true, topic_prefix: 'a.' },
          ],
        },
      ],
      components: [
        { type: 'stdio', id: 'program', realm: 'realm1', role, cwd: dir, command: ['/bin/sh', '-c', script] },
        { type: 'zeromq', id: 'pusher', realm: 'realm1', role, bind: zeromqAddress },
      ],
    }],
  };
}

/** resumable.js's fields, and the one naming the progress events' topic. */
const uploadFields = { file_name: 'name', mime_type: 'type', total_size: 'size', chunk_number: 'n', chunk_size: 'chunk', total_chunks: 'count', content: 'file', on_progress: 'progress' };

/** One chunk, a whole file, whose progress events go to `topic`. */
function uploadChunk(topic: string): { body: string; type: string } {
  const boundary = 'matrixboundary';
  const field = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const content = 'upload';
  const body = field('name', 'f.txt') + field('type', 'text/plain') + field('size', String(content.length)) + field('n', '1')
    + field('chunk', String(content.length)) + field('count', '1') + field('progress', topic)
    + `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="blob"\r\nContent-Type: application/octet-stream\r\n\r\n${content}\r\n--${boundary}--\r\n`;
  return { body, type: `multipart/form-data; boundary=${boundary}` };
}

/** The sum of the samples whose line starts with `prefix` (a name, or a name and labels). */
const metricValue = (exposition: string, prefix: string): number => exposition.split('\n')
  .filter((line) => line.startsWith(prefix))
  .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);

const deniedTotal = (exposition: string): number => metricValue(exposition, 'junction_authorization_denied_total{');

function http(method: string, url: string, body = '', headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(url, { method, agent: false, headers: { 'content-type': 'application/json', ...headers } }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      if (response.statusCode === 200 && response.headers['content-type']?.startsWith('text/event-stream')) {
        // An SSE stream stays open: its first bytes are enough.
        response.once('data', () => outgoing.destroy());
      }
      response.on('close', () => resolve({ status: response.statusCode!, body: text }));
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

const wampRoles = { caller: {}, callee: {}, publisher: {}, subscriber: {} };

/** SUBSCRIBE, PUBLISH, CALL, REGISTER and a meta API call over a WAMP v2 connection. */
async function wampActions(door: string, pipe: WampPipe, record: Recorder): Promise<void> {
  pipe.send([1, 'realm1', { roles: wampRoles }]);
  assert.equal((await pipe.next())[0], 2, `${door}: WELCOME`);
  const actions: [string, string, (request: number) => unknown[], number][] = [
    ['subscribe', 'a.x', (request) => [32, request, {}, 'a.x'], 33],
    ['publish', 'a.x', (request) => [16, request, { acknowledge: true }, 'a.x', []], 17],
    ['subscribe', 'b.x', (request) => [32, request, {}, 'b.x'], 33],
    ['call', 'a.p', (request) => [48, request, {}, 'a.p', []], 50],
    ['register', 'a.p', (request) => [64, request, {}, 'a.p'], 65],
    ['call', 'wamp.session.list', (request) => [48, request, {}, 'wamp.session.list', []], 50],
    // The empty prefix: every topic.
    ['subscribe', '', (request) => [32, request, { match: 'prefix' }, ''], 33],
  ];
  for (const [index, [action, uri, message, success]] of actions.entries()) {
    const request = 100 + index;
    await record(door, action, uri, async () => {
      pipe.send(message(request));
      const answer = await pipe.next((reply) => (reply[0] === success && reply[1] === request) || (reply[0] === 8 && reply[2] === request));
      return answer[0] === 8 ? refused(String(answer[4])) : allowed;
    });
  }
  pipe.close();
}

type Recorder = (door: string, action: string, uri: string, attempt: () => Promise<Outcome>) => Promise<void>;

/** Runs every door's actions on `node`; `tried` gets each. */
async function everyDoor(node: Awaited<ReturnType<typeof startTestNode>>, dir: string, zeromqAddress: string): Promise<Tried[]> {
  const tried: Tried[] = [];
  const record: Recorder = async (door, action, uri, attempt) => {
    const before = deniedTotal(node.metrics.exposition());
    const outcome = await attempt();
    // A refusal is counted by the time it is answered.
    tried.push({ door, action, uri, outcome, denials: deniedTotal(node.metrics.exposition()) - before });
  };
  const web = `127.0.0.1:${node.ports.get('web')!}`;

  await wampActions('WebSocket', await RawClient.open(`ws://${web}/ws`), record);
  await wampActions('RawSocket', (await RawSocketClient.connect({ port: node.ports.get('raw')! })).client, record);
  await wampActions('long-poll', await LongPollPipe.open(`http://${web}/lp`), record);

  // A session of a role that may do everything: it publishes to the doors that subscribe, and serves a.p.
  const helper = await RawClient.open(`ws://${web}/all`);
  await helper.hello();

  for (const topic of ['a.x', 'b.x']) {
    await record('SSE', 'subscribe', topic, async () => {
      const answer = await http('GET', `http://${web}/sse?topic=${topic}`);
      return answer.status === 200 ? allowed : refused(`${answer.status} ${answer.body}`);
    });
  }

  const bridge = async (door: string, action: string, uri: string, path: string, body: string, contentType = 'application/json'): Promise<void> =>
    record(door, action, uri, async () => {
      const answer = await http('POST', `http://${web}${path}`, body, { 'content-type': contentType });
      return answer.status < 300 && !answer.body.includes('"error"') ? allowed : refused(`${answer.status} ${answer.body}`);
    });
  await bridge('HTTP publisher', 'publish', 'a.x', '/publish', JSON.stringify({ topic: 'a.x', args: [] }));
  await bridge('HTTP caller', 'call', 'a.p', '/call', JSON.stringify({ procedure: 'a.p', args: [] }));
  await bridge('webhook', 'publish', 'a.hook', '/hook', 'hooked', 'text/plain');
  const chunk = uploadChunk('a.progress');
  await bridge('upload', 'publish', 'a.progress', '/upload', chunk.body, chunk.type);

  if (!skipWap) {
    await record('wap', 'call', 'a.p', async () => {
      const answer = await http('GET', `http://${web}/site/`, '', { accept: 'application/json' });
      return answer.status === 200 ? allowed : refused(`${answer.status} ${answer.body}`);
    });
  }

  await pusherActions(node.ports.get('pusher')!, record);
  await mqttActions(node.ports.get('mqtt')!, record);

  // WAMP v1: SUBSCRIBE and PUBLISH have no answer; the helper's event shows a subscription, the counter a refusal.
  const page = await Wamp1Client.connect(`ws://${web}/ws`);
  for (const topic of ['a.x', 'b.x']) {
    await record('WAMP v1', 'subscribe', topic, async () => {
      const before = deniedTotal(node.metrics.exposition());
      page.send([5, topic]);
      const mark = `v1-${topic}`;
      for (let round = 0; round < 50; round++) {
        if (deniedTotal(node.metrics.exposition()) > before) return refused('counted as denied (v1 has no answer to SUBSCRIBE)');
        helper.send([16, 900 + round, { acknowledge: true }, topic, [mark]]);
        await helper.next((message) => message[0] === 17 && message[1] === 900 + round);
        if (page.received.some((message) => message[0] === 8 && message[1] === topic)) return allowed;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`WAMP v1 subscribe ${topic}: neither an event nor a refusal`);
    });
  }
  await record('WAMP v1', 'publish', 'a.x', async () => {
    const before = metricValue(node.metrics.exposition(), 'junction_publications_refused_total{');
    page.send([7, 'a.x', 'from v1']);
    await waitFor(() => metricValue(node.metrics.exposition(), 'junction_publications_refused_total{') > before, 'the v1 publication refused');
    return refused('counted as refused (v1 has no answer to PUBLISH)');
  });
  await record('WAMP v1', 'call', 'a.p', async () => {
    page.send([2, 'c1', 'a.p']);
    const [answer] = await page.next((message) => (message[0] === 3 || message[0] === 4) && message[1] === 'c1', 'the CALL answer');
    return answer![0] === 3 ? allowed : refused(String(answer![2]));
  });
  page.ws.close();

  // The stdio program acts once told to; its answers are in its file.
  const stdioBefore = deniedTotal(node.metrics.exposition());
  writeFileSync(join(dir, 'go'), '');
  const answersFile = join(dir, 'stdio-answers.jsonl');
  const answers = (): { type: string; id: string; error?: string }[] => {
    try {
      return readFileSync(answersFile, 'utf8').split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as { type: string; id: string });
    } catch {
      return [];
    }
  };
  // Events (from the helper's publications) are not answers.
  const stdioAnswers = () => answers().filter(({ type }) => type !== 'event');
  await waitFor(() => stdioAnswers().length >= 5, 'the stdio program answered', 20_000);
  const stdioRefusals = stdioAnswers().filter(({ type }) => type === 'error').length;
  // The program's commands run together: each refusal counts when they all are.
  const stdioCounted = deniedTotal(node.metrics.exposition()) - stdioBefore >= stdioRefusals;
  for (const answer of stdioAnswers()) {
    const [action, uri] = answer.id.split(' ') as [string, string];
    tried.push({ door: 'stdio', action, uri, outcome: answer.type === 'error' ? refused(answer.error!) : allowed, denials: stdioCounted ? 1 : 0 });
  }

  await record('ZeroMQ', 'publish', 'a.x', async () => {
    const push = new Push();
    push.connect(zeromqAddress);
    await push.send(JSON.stringify({ topic: 'a.x', args: [] }));
    await waitFor(() => metricValue(node.metrics.exposition(), 'junction_zeromq_refused_total') + metricValue(node.metrics.exposition(), 'junction_zeromq_published_total') > 0,
      'the ZeroMQ message handled', 20_000);
    push.close();
    return metricValue(node.metrics.exposition(), 'junction_zeromq_refused_total') > 0 ? refused('counted in junction_zeromq_refused_total') : allowed;
  });

  const operator = await RawClient.open(`ws://${web}/console/ws`);
  await operator.hello();
  for (const [index, procedure] of ['junction.config.get', 'junction.session.list', 'junction.node.stats', 'wamp.session.kill'].entries()) {
    await record('console', 'call', procedure, async () => {
      operator.send([48, 200 + index, {}, procedure, [1]]);
      const answer = await operator.next((message) => (message[0] === 50 && message[1] === 200 + index) || (message[0] === 8 && message[2] === 200 + index));
      return answer[0] === 8 ? refused(String(answer[4])) : allowed;
    });
  }
  operator.close();
  helper.close();
  return tried;
}

async function pusherActions(port: number, record: Recorder): Promise<void> {
  const connect = async (key: string) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/app/${key}?protocol=7`);
    const frames: { event: string; channel?: string; data?: unknown }[] = [];
    ws.on('message', (data: Buffer) => frames.push(JSON.parse(data.toString()) as { event: string }));
    await waitFor(() => frames.some((frame) => frame.event === 'pusher:connection_established'), 'the Pusher connection');
    const socketId = (JSON.parse(String(frames[0]!.data)) as { socket_id: string }).socket_id;
    return { key, ws, frames, socketId };
  };
  const subscribe = async (connection: Awaited<ReturnType<typeof connect>>, channel: string): Promise<Outcome> => {
    const auth = channel.startsWith('private-')
      ? { auth: `${connection.key}:${createHmac('sha256', appSecret).update(`${connection.socketId}:${channel}`).digest('hex')}` }
      : {};
    connection.ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel, ...auth } }));
    const answered = (frame: { event: string; channel?: string }) => frame.channel === channel
      && ['pusher_internal:subscription_succeeded', 'pusher:subscription_error'].includes(frame.event);
    await waitFor(() => connection.frames.some(answered), `the Pusher subscription to ${channel} answered`);
    const answer = connection.frames.find(answered)!;
    return answer.event === 'pusher_internal:subscription_succeeded' ? allowed : refused(typeof answer.data === 'string' ? answer.data : JSON.stringify(answer.data));
  };
  const plain = await connect('plain-key');
  for (const channel of ['a.x', 'b.x']) await record('Pusher', 'subscribe', channel, () => subscribe(plain, channel));
  plain.ws.close();

  // A client event on a private channel of the app whose channels are below a.
  const under = await connect('under-key');
  await record('Pusher', 'subscribe', 'a.private-x', () => subscribe(under, 'private-x'));
  if (under.frames.some((frame) => frame.event === 'pusher_internal:subscription_succeeded')) {
    await record('Pusher', 'publish (client event)', 'a.private-x', async () => {
      under.ws.send(JSON.stringify({ event: 'client-typing', channel: 'private-x', data: {} }));
      const isError = (frame: { event: string }) => frame.event === 'pusher:error';
      // A client event has no answer when it is published: wait a little for an error.
      for (let round = 0; round < 50 && !under.frames.some(isError); round++) await new Promise((resolve) => setTimeout(resolve, 20));
      const error = under.frames.find(isError);
      return error ? refused(typeof error.data === 'string' ? error.data : JSON.stringify(error.data)) : allowed;
    });
  }
  under.ws.close();

  const body = JSON.stringify({ name: 'e', channels: ['a.x'], data: '{}' });
  const path = '/apps/plain/events';
  const params = new URLSearchParams({ auth_key: 'plain-key', auth_timestamp: String(Math.floor(Date.now() / 1000)), auth_version: '1.0', body_md5: createHash('md5').update(body).digest('hex') });
  const text = `POST\n${path}\n${[...params].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`).join('&')}`;
  params.set('auth_signature', createHmac('sha256', appSecret).update(text).digest('hex'));
  await record('Pusher HTTP API', 'publish', 'a.x', async () => {
    const answer = await http('POST', `http://127.0.0.1:${port}${path}?${params}`, body);
    return answer.status === 200 ? allowed : refused(`${answer.status} ${answer.body}`);
  });
}

async function mqttActions(port: number, record: Recorder): Promise<void> {
  const device = await connectMqtt(port, { protocolVersion: 5 });
  // "#" is every topic (the WAMP prefix ""); "a/#" the prefix "a.".
  for (const [topic, uri] of [['a/x', 'a.x'], ['b/x', 'b.x'], ['a/#', 'a.'], ['#', '']]) {
    await record('MQTT', 'subscribe', uri!, async () => {
      const granted = await device.client.subscribeAsync({ [topic]: { qos: 1 } }).then(
        (grants) => grants.map((grant) => grant.qos as number),
        (error: { packet?: { granted?: number[] } }) => error.packet?.granted ?? [-1]);
      return granted[0]! < 0x80 ? allowed : refused(`SUBACK 0x${granted[0]!.toString(16)}`);
    });
  }
  await record('MQTT', 'publish', 'a.x', async () => {
    try {
      await device.client.publishAsync('a/x', '{"args":["m"]}', { qos: 1 });
      return allowed;
    } catch (error) {
      return refused(`PUBACK ${(error as { code?: number }).code ?? (error as Error).message}`);
    }
  });
  await device.end();
  // A will is a publication made later on the device's behalf: it must be one the device may make now.
  await record('MQTT', 'publish (will)', 'a.gone', async () => {
    try {
      const willing = await connectMqtt(port, { protocolVersion: 5, will: { topic: 'a/gone', payload: Buffer.from('{"args":[]}'), qos: 1, retain: false } });
      await willing.end();
      return allowed;
    } catch (error) {
      return refused(`CONNACK ${(error as { code?: number }).code ?? (error as Error).message}`);
    }
  });
}

/** What a door must answer: the only thing sub_a may do is subscribe below a. */
function expected(role: string, action: string, uri: string): 'allowed' | 'refused' {
  return role === 'sub_a' && action === 'subscribe' && uri.startsWith('a.') ? 'allowed' : 'refused';
}

/** Doors whose refusal is no WAMP ERROR of its own: what their specific refusal looks like. */
const specific: [RegExp, RegExp][] = [
  [/^(WebSocket|RawSocket|long-poll|stdio|console)$/, /^wamp\.error\.not_authorized$/],
  [/^SSE$/, /^403 .*not_authorized/],
  [/^(HTTP publisher|HTTP caller)$/, /^403 .*wamp\.error\.not_authorized/],
  // The webhook answers Crossbar's error_response ("NOT OK"), with the status.
  [/^webhook$/, /^403 NOT OK$/],
  [/^Pusher$/, /"code":4306/],
  [/^Pusher HTTP API$/, /^403 /],
  [/^MQTT$/, /^(SUBACK 0x87|PUBACK 135|CONNACK 135)$/],
  [/^WAMP v1$/, /not_authorized|counted/],
  [/^ZeroMQ$/, /junction_zeromq_refused_total/],
  [/^upload$/, /^403 .*event_refused/],
  [/^wap$/, /^500 .*wamp\.error\.not_authorized/],
];

/** A door's own refusal counter (beside junction_authorization_denied_total), for one action. */
const doorMetrics: [string, string, string][] = [
  ['SSE', 'subscribe', 'junction_sse_refused_total{status="403"}'],
  ['HTTP publisher', 'publish', 'junction_http_bridge_requests_total{outcome="not_authorized",path="/publish"'],
  ['HTTP caller', 'call', 'junction_http_bridge_requests_total{outcome="not_authorized",path="/call"'],
  ['webhook', 'publish', 'junction_http_bridge_requests_total{outcome="not_authorized",path="/hook"'],
  ['upload', 'publish', 'junction_upload_requests_total{outcome="event_refused"'],
  ['MQTT', 'subscribe', 'junction_mqtt_subscriptions_refused_total{'],
  ['MQTT', 'publish', 'junction_mqtt_publishes_refused_total{reason="router"'],
  ['MQTT', 'publish (will)', 'junction_mqtt_refused_connections_total{reason="will"'],
  ['ZeroMQ', 'publish', 'junction_zeromq_refused_total{'],
];

for (const role of ['nothing', 'sub_a']) {
  describe(`every door of role ${role}`, { timeout: 240_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), `junction-authz-${role}-`));
    const zeromqAddress = `ipc://${join(dir, 'zeromq.sock')}`;
    let node: Awaited<ReturnType<typeof startTestNode>>;
    let tried: Tried[] = [];

    before(async () => {
      writeFileSync(join(dir, 'page.html'), '{{ args }}');
      // Its own data folder: the default (.junction in the working folder) is the checkout's.
      node = await startTestNode(loadDocument(documentFor(role, dir, zeromqAddress)), { dataDir: join(dir, 'data') });
      tried = await everyDoor(node, dir, zeromqAddress);
    });

    after(async () => {
      await node?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('refuses what the role does not permit, with a specific error, and allows what it does', () => {
      const wrong = tried.filter(({ action, uri, outcome }) => (outcome.allowed ? 'allowed' : 'refused') !== expected(role, action.split(' ')[0]!, uri))
        .map(({ door, action, uri, outcome }) => `${door} ${action} ${uri}: ${JSON.stringify(outcome)}`);
      assert.deepEqual(wrong, []);
      const vague = tried.filter(({ door, outcome }) => !outcome.allowed && !specific.find(([name]) => name.test(door))?.[1].test(outcome.error))
        .map(({ door, action, uri, outcome }) => `${door} ${action} ${uri}: ${JSON.stringify(outcome)}`);
      assert.deepEqual(vague, []);
      const doors = new Set(tried.map(({ door }) => door));
      assert.equal(doors.size, skipWap ? 15 : 16, `every door tried: ${[...doors].join(', ')}`);
    });

    it('counts each door\'s refusals in its own metric too', () => {
      const exposition = node.metrics.exposition();
      const miscounted = doorMetrics.flatMap(([door, action, metric]) => {
        const refusals = tried.filter((one) => one.door === door && one.action === action && !one.outcome.allowed).length;
        const counted = metricValue(exposition, metric);
        return counted === refusals ? [] : [`${door} ${action}: ${refusals} refused, ${counted} in ${metric}`];
      });
      assert.deepEqual(miscounted, []);
    });

    it('counts every refusal in junction_authorization_denied_total', () => {
      const uncounted = tried.filter(({ outcome, denials }) => !outcome.allowed && denials < 1)
        .map(({ door, action, uri }) => `${door} ${action} ${uri}`);
      assert.deepEqual(uncounted, []);
    });
  });
}
