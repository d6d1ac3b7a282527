import assert from 'node:assert/strict';
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { keysOf } from '../../src/auth/scram-keys.js';
import { scramHmacKey } from '../../src/auth/scram-password.js';
import { clientNonce, scramAnswer } from '../auth/support/scram-client.js';
import { freePort, projectRoot, runJunction, RunningJunction } from '../support/cli.js';
import { skipWithoutDebian } from '../support/debian.js';
import { LongPollPipe, type WampPipe } from '../support/longpoll-pipe.js';
import { connectMqtt } from '../support/mqtt.js';
import { spawnOwned } from '../support/processes.js';
import { RawClient } from '../support/raw-client.js';
import { RunningRedis } from '../support/redis-server.js';
import { SecretScan } from '../support/secret-scan.js';
import { selfSignedCertificate } from '../support/tls.js';
import { waitFor } from '../support/wait.js';
import { RawSocketClient } from '../transport/rawsocket-client.js';

/**
 * No secret on any surface: one `junction start --log-level trace` whose every secret is a
 * distinctive marker (tickets, one of them from the environment; WAMP-CRA secrets plain and salted;
 * SCRAM keys; the Pusher app secret and a webhook URL's token; the HTTP bridge's signing secrets;
 * the forwarder's headers, URL token and signing secret; a REST-backed procedure's headers and query;
 * the Redis password; the TLS key file; a token in a connection URL), every door signed in to with
 * the right and a wrong secret (a dynamic authenticator's refusal quoting the ticket), errors made on
 * purpose (wrong signatures, an expired timestamp, reloads that fail and that change a secret, apps
 * that fail, long-poll transports left to idle out, a node whose Redis refuses its password), and
 * then no marker, nor what the router hands out as a credential (the cookie, a long-poll transport's
 * id) or a signature, may show in: the log (stdout and stderr), /metrics, /info, the console's
 * procedures, the meta API's answers and events, anything sent to any client, `junction check` and
 * `junction reload`.
 */

const scan = new SecretScan();
const mark = (name: string): string => scan.mark(name);

const S = {
  ticket: mark('ticket'),
  envTicket: mark('envticket'),
  craPlain: mark('craplain'),
  craSalted: mark('crasalted'),
  scramPassword: mark('scrampassword'),
  console: mark('consoleticket'),
  pusher: mark('pushersecret'),
  pusherWebhookQuery: mark('pusherwebhookquery'),
  publisher: mark('publishersecret'),
  caller: mark('callersecret'),
  webhook: mark('webhooksecret'),
  forwarderHeader: mark('forwarderheader'),
  forwarderSigning: mark('forwardersigning'),
  forwarderQuery: mark('forwarderquery'),
  restHeader: mark('restheader'),
  restHeaderChanged: mark('restheaderchanged'),
  restQuery: mark('restquery'),
  restUrlPassword: mark('resturlpassword'),
  redis: mark('redispassword'),
  wrong: mark('wrongsecret'),
  queryToken: mark('querytoken'),
};

const saw = (where: string, value: unknown): void => scan.saw(where, value);
/** Secrets made from the markers or handed out (derived keys, signatures, the cookie, a long-poll transport's id): credentials too. */
const derive = (name: string, ...values: string[]): void => scan.derive(name, ...values);

/** Connections kept open until the end. */
const pipes: WampPipe[] = [];

const redisSkip = skipWithoutDebian('redis-server');

function httpCall(method: string, url: string, body = '', headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(url, { method, agent: false, headers: { 'content-type': 'application/json', ...headers } }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode!, body: text, headers: response.headers }));
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

const wampRoles = { caller: {}, callee: {}, publisher: {}, subscriber: {} };

/** Signs in over `pipe` with `method`, answering the challenge with `answer`; resolves with WELCOME or ABORT. */
async function signIn(pipe: WampPipe, where: string, authid: string, methods: string[], answer: (extra: Record<string, unknown>) => Promise<string> | string, authextra: Record<string, unknown> = {}): Promise<unknown[]> {
  pipe.send([1, 'realm1', { roles: wampRoles, authmethods: methods, authid, authextra }]);
  const first = await pipe.next((message) => [2, 3, 4].includes(message[0] as number));
  saw(where, first);
  if (first[0] !== 4) return first;
  pipe.send([5, await answer(first[2] as Record<string, unknown>), {}]);
  const outcome = await pipe.next((message) => message[0] === 2 || message[0] === 3);
  saw(where, outcome);
  return outcome;
}

const craKey = (secret: string, extra: Record<string, unknown>): string =>
  extra.salt === undefined ? secret : pbkdf2Sync(secret, String(extra.salt), Number(extra.iterations), Number(extra.keylen), 'sha256').toString('base64');
const craSign = (secret: string) => (extra: Record<string, unknown>): string =>
  createHmac('sha256', craKey(secret, extra)).update(String(extra.challenge)).digest('base64');

/** Ticket, WAMP-CRA (plain and salted) and SCRAM, each right and wrong, over `open`'s connections. */
async function everySignIn(where: string, open: () => Promise<WampPipe>): Promise<void> {
  const attempts: [string, string[], (extra: Record<string, unknown>) => Promise<string> | string, boolean, Record<string, unknown>?][] = [
    ['joe', ['ticket'], () => S.envTicket, true],
    ['ann', ['ticket'], () => S.ticket, true],
    // A client that also puts a credential in HELLO's authextra (some send their token there).
    ['ann', ['ticket'], () => S.ticket, true, { token: S.queryToken }],
    ['ann', ['ticket'], () => S.wrong, false],
    ['cra', ['wampcra'], craSign(S.craPlain), true],
    ['cra', ['wampcra'], craSign(S.wrong), false],
    ['salty', ['wampcra'], craSign(S.craSalted), true],
    ['salty', ['wampcra'], craSign(S.wrong), false],
  ];
  for (const [authid, methods, answer, welcome, authextra] of attempts) {
    const pipe = await open();
    const outcome = await signIn(pipe, where, authid, methods, answer, authextra);
    assert.equal(outcome[0], welcome ? 2 : 3, `${where}: ${authid} ${methods[0]} ${JSON.stringify(outcome)}`);
    // Sessions stay for the meta API and the console to list.
    pipes.push(pipe);
  }
  for (const [password, welcome] of [[S.scramPassword, true], [S.wrong, false]] as const) {
    const pipe = await open();
    const nonce = clientNonce();
    const outcome = await signIn(pipe, where, 'carol', ['scram'], async (extra) => (await scramAnswer(password, { authid: 'carol', clientNonce: nonce }, extra)).proof, { nonce });
    assert.equal(outcome[0], welcome ? 2 : 3, `${where}: scram ${JSON.stringify(outcome)}`);
    pipes.push(pipe);
  }
}

/**
 * The app's ticket authenticator, answered by hand on `client`'s session until it closes: S.ticket
 * signs in; another is refused with an error that quotes it, as Crossbar's examples do.
 */
async function serveAuthenticator(client: RawClient): Promise<void> {
  while (client.closeCode === undefined) {
    const invocation = await client.next((message) => message[0] === 68, 600_000).catch(() => undefined);
    if (!invocation) return;
    const [, request, , , args] = invocation as [number, number, number, object, [string, string, { ticket: string }]];
    const [, authid, details] = args;
    if (details.ticket === S.ticket) client.send([70, request, {}, ['user']]);
    else client.send([8, 68, request, {}, 'app.invalid_ticket', [`invalid ticket '${details.ticket}' for principal ${authid}`]]);
  }
}

/** An HTTP app for the forwarder and the REST-backed procedure: /ok answers 200, anything else 500; it keeps what it got. */
class App {
  readonly requests: { url: string; headers: Record<string, unknown> }[] = [];
  private server!: Server;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      this.requests.push({ url: request.url!, headers: request.headers });
      request.resume();
      request.on('end', () => {
        const ok = request.url!.includes('/ok');
        response.writeHead(ok ? 200 : 500, { 'content-type': 'text/plain' }).end(ok ? 'fine' : 'database down');
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** The HTTP bridge's signed query (docs/http-bridge.md), with `timestamp` and `secret` as given. */
function bridgeQuery(key: string, secret: string, body: string, timestamp = new Date().toISOString()): { query: string; signature: string } {
  const seq = '1';
  const nonce = String(Math.floor(Math.random() * 2 ** 52));
  const signature = createHmac('sha256', secret).update(key + timestamp + seq + nonce + body).digest('base64url');
  return { query: new URLSearchParams({ key, timestamp, seq, nonce, signature }).toString(), signature };
}

/** The Pusher HTTP API's signed query for POST `path` with `body`. */
function pusherApiQuery(path: string, body: string, secret: string, timestamp = Math.floor(Date.now() / 1000)): { query: string; signature: string } {
  const params = new URLSearchParams({ auth_key: 'app-key', auth_timestamp: String(timestamp), auth_version: '1.0', body_md5: createHash('md5').update(body).digest('hex') });
  const text = `POST\n${path}\n${[...params].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`).join('&')}`;
  const signature = createHmac('sha256', secret).update(text).digest('hex');
  params.set('auth_signature', signature);
  return { query: params.toString(), signature };
}

describe('no secret on any surface', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'junction-secret-surfaces-'));
  const app = new App();
  const ports = new Map<string, number>();
  let junction: RunningJunction;
  let redis: RunningRedis | undefined;
  let web = '';
  let watcher: RawClient;
  let scramSalt = '';
  const pidFile = join(dir, 'junction.pid');

  /** `variant`: "broken" puts a password in the REST procedure's base URL; "changed" gives it a new header. */
  async function configDocument(variant?: 'broken' | 'changed'): Promise<object> {
    const broken = variant === 'broken';
    const salt = Buffer.from(scramSalt, 'hex');
    const salted = await scramHmacKey(S.scramPassword, { kdf: 'pbkdf2', iterations: 1000, salt });
    const { storedKey, serverKey } = keysOf(salted);
    derive('a SCRAM key', storedKey.toString('hex'), serverKey.toString('hex'), Buffer.from(salted).toString('hex'), Buffer.from(salted).toString('base64'));
    const wampAuth = {
      ticket: { type: 'static', principals: { joe: { ticket: '${MYSECRET}', role: 'user' }, ann: { ticket: S.ticket, role: 'user' } } },
      wampcra: {
        type: 'static',
        users: { cra: { secret: S.craPlain, role: 'user' }, salty: { secret: S.craSalted, role: 'user', salt: 'salt123', iterations: 100, keylen: 16 } },
      },
      scram: {
        type: 'static',
        principals: { carol: { kdf: 'pbkdf2', iterations: 1000, salt: scramSalt, 'stored-key': storedKey.toString('hex'), 'server-key': serverKey.toString('hex'), role: 'user' } },
      },
    };
    const tcp = (name: string) => ({ type: 'tcp', interface: '127.0.0.1', port: ports.get(name)! });
    const certificate = selfSignedCertificate(dir);
    if (certificate) {
      // Each line of the key's body: a log that shows part of the file shows one of them.
      derive('a line of the TLS key', ...readFileSync(certificate.key, 'utf8').split('\n').filter((line) => line.length > 20 && !line.startsWith('-----')));
    }
    const appUrl = `http://127.0.0.1:${app.port}`;
    return {
      version: 2,
      workers: [{
        type: 'router',
        // Every wrong secret is tried on purpose: none may be slowed down.
        sign_in: { failure_budget: 1000 },
        realms: [{
          name: 'realm1',
          roles: [
            { name: 'user', permissions: [{ uri: '', match: 'prefix', allow: { call: true, register: true, publish: true, subscribe: true } }] },
            { name: 'operator', permissions: [{ uri: '', match: 'prefix', allow: { call: true, register: true, publish: true, subscribe: true } }] },
          ],
        }],
        transports: [
          {
            type: 'web', id: 'web', endpoint: tcp('web'),
            paths: {
              ws: { type: 'websocket', cookie: { store: { type: 'memory' } }, auth: { ...wampAuth, cookie: {} } },
              watch: { type: 'websocket', auth: { anonymous: { type: 'static', role: 'user' } } },
              // Tickets checked by the app's procedure (the watcher serves it), which quotes a wrong one in its error.
              dynamic: { type: 'websocket', auth: { ticket: { type: 'dynamic', authenticator: 'app.authenticate' } } },
              // Its transports idle out during the test: that is logged, without their ids.
              lp: { type: 'longpoll', auth: wampAuth, options: { session_timeout: 2 } },
              sse: { type: 'sse', realm: 'realm1', auth: { ticket: wampAuth.ticket } },
              publish: { type: 'publisher', realm: 'realm1', role: 'user', options: { key: 'pubkey', secret: S.publisher } },
              call: { type: 'caller', realm: 'realm1', role: 'user', options: { key: 'callkey', secret: S.caller } },
              hook: { type: 'webhook', realm: 'realm1', role: 'user', options: { topic: 'hooked', github_secret: S.webhook } },
              console: { type: 'console', realm: 'realm1', auth: { ticket: { type: 'static', principals: { ops: { ticket: S.console, role: 'operator' } } } } },
              info: { type: 'nodeinfo' },
              metrics: { type: 'metrics' },
            },
          },
          { type: 'rawsocket', id: 'raw', endpoint: tcp('raw'), auth: wampAuth },
          { type: 'mqtt', id: 'mqtt', endpoint: tcp('mqtt'), options: { realm: 'realm1' }, auth: { ticket: wampAuth.ticket } },
          { type: 'pusher', id: 'pusher', endpoint: tcp('pusher'), apps: [{
            id: 'app1', key: 'app-key', secret: S.pusher, realm: 'realm1', role: 'user', client_events: true,
            // The app fails: the deliveries are retried and logged.
            webhooks: [{ url: `${appUrl}/fail?token=${S.pusherWebhookQuery}`, events: ['channel_occupied'] }],
          }] },
          ...(certificate ? [{ type: 'websocket', id: 'tls', endpoint: { ...tcp('tls'), tls: certificate }, auth: wampAuth }] : []),
        ],
        components: [
          {
            type: 'class', id: 'fwd', classname: 'crossbar.bridge.rest.MessageForwarder', realm: 'realm1', role: 'user',
            extra: {
              subscriptions: [{ topic: 'fwd.', match: 'prefix', url: `${appUrl}/fail?key=${S.forwarderQuery}` }],
              headers: { Authorization: `Bearer ${S.forwarderHeader}` },
              signing_secret: S.forwarderSigning,
              retry: { initial_delay: 10, max_delay: 20, max_attempts: 2 },
            },
          },
          {
            type: 'class', id: 'rest', classname: 'crossbar.bridge.rest.RESTCallee', realm: 'realm1', role: 'user',
            extra: {
              procedure: 'rest.api',
              baseurl: broken ? `http://app:${S.restUrlPassword}@127.0.0.1:${app.port}/` : `${appUrl}/`,
              headers: { Authorization: `Bearer ${variant === 'changed' ? S.restHeaderChanged : S.restHeader}` },
              error_on_5xx: true,
            },
          },
        ],
        ...(redis ? { cluster: { redis: { url: `redis://:${S.redis}@127.0.0.1:${redis.port}/0` }, node_id: 'n1' } } : {}),
      }],
    };
  }

  before(async () => {
    await app.start();
    if (!redisSkip) redis = await RunningRedis.start(['--requirepass', S.redis]);
    scramSalt = randomBytes(16).toString('hex');
    for (const name of ['web', 'raw', 'mqtt', 'pusher', 'tls']) ports.set(name, await freePort());
    writeFileSync(join(dir, 'config.json'), JSON.stringify(await configDocument(), null, 2));
    junction = new RunningJunction(spawnOwned(process.execPath,
      [join(projectRoot, 'bin', 'junction.js'), 'start', '--cbdir', dir, '--log-level', 'trace', '--pid-file', pidFile],
      { cwd: dir, env: { ...process.env, MYSECRET: S.envTicket }, stdio: ['ignore', 'pipe', 'pipe'] }));
    // The listening lines come once every transport listens.
    await junction.started((line) => line.msg === 'listening');
    web = `127.0.0.1:${ports.get('web')!}`;
    // Another session sees every join (wamp.session.on_join's details) and asks the meta API.
    watcher = await RawClient.open(`ws://${web}/watch`);
    await watcher.hello();
    watcher.send([32, 1, {}, 'wamp.session.on_join']);
    watcher.send([32, 2, {}, 'wamp.session.on_leave']);
    await watcher.next((message) => message[0] === 33 && message[1] === 2);
    watcher.send([64, 3, {}, 'app.authenticate']);
    await watcher.next((message) => message[0] === 65 && message[1] === 3);
    void serveAuthenticator(watcher);
  });

  after(async () => {
    for (const pipe of pipes) pipe.close();
    watcher?.close();
    junction?.kill();
    await junction?.waitForExit();
    await redis?.stop();
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('signs in over every door with the right and a wrong secret', async () => {
    const wsPipe = (path: string, options = {}) => async (): Promise<WampPipe> => {
      const client = await RawClient.open(`ws://${web}${path}`, ['wamp.2.json'], options);
      saw('WebSocket upgrade headers', client.upgradeHeaders);
      return client;
    };
    await everySignIn('WebSocket', wsPipe(`/ws?token=${S.queryToken}`));
    await everySignIn('RawSocket', async () => (await RawSocketClient.connect({ port: ports.get('raw')! })).client);
    await everySignIn('long-poll', async () => {
      const pipe = await LongPollPipe.open(`http://${web}/lp`);
      // Whoever knows a transport's id receives and sends as its session.
      derive('a long-poll transport id', pipe.transportId);
      return pipe;
    });
    for (const [ticket, welcome] of [[S.ticket, 2], [S.wrong, 3]] as const) {
      const client = await RawClient.open(`ws://${web}/dynamic`);
      assert.equal((await signIn(client, 'WebSocket, dynamic ticket', 'joe', ['ticket'], () => ticket))[0], welcome);
      pipes.push(client);
    }
    if (ports.has('tls') && !skipWithoutDebian('openssl')) {
      const tls = await RawClient.open(`wss://127.0.0.1:${ports.get('tls')!}/`, ['wamp.2.json'], { rejectUnauthorized: false });
      assert.equal((await signIn(tls, 'WebSocket over TLS', 'ann', ['ticket'], () => S.ticket))[0], 2);
      tls.close();
    }

    // The cookie a ticket sign-in binds signs the next connection in: it is a credential.
    const first = await RawClient.open(`ws://${web}/ws`);
    const cookie = /cbtid=([^;]+)/.exec(String(first.upgradeHeaders['set-cookie']))?.[1];
    assert.ok(cookie, 'the upgrade sets a cookie');
    derive('the cookie', cookie);
    assert.equal((await signIn(first, 'WebSocket', 'ann', ['cookie', 'ticket'], () => S.ticket))[0], 2);
    const again = await RawClient.open(`ws://${web}/ws`, ['wamp.2.json'], { headers: { cookie: `cbtid=${cookie}` } });
    const byCookie = await signIn(again, 'WebSocket by cookie', '', ['cookie'], () => '');
    assert.equal(byCookie[0], 2, JSON.stringify(byCookie));
    const forged = await RawClient.open(`ws://${web}/ws`, ['wamp.2.json'], { headers: { cookie: `cbtid=${S.wrong}` } });
    assert.equal((await signIn(forged, 'WebSocket by a forged cookie', '', ['cookie'], () => ''))[0], 3);
    for (const client of [first, again, forged]) client.close();

    // SSE: the ticket in the query, right and wrong.
    for (const [ticket, status] of [[S.envTicket, 200], [S.wrong, 401]] as const) {
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const outgoing = httpRequest(`http://${web}/sse?topic=news&authid=joe&ticket=${ticket}`, { agent: false }, (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString()));
          if (response.statusCode === 200) setTimeout(() => outgoing.destroy(), 300);
          response.on('close', () => resolve({ status: response.statusCode!, body }));
        });
        outgoing.on('error', reject);
        outgoing.end();
      });
      saw('SSE answers', answer);
      assert.equal(answer.status, status, answer.body);
    }

    // MQTT: the password is the ticket.
    const device = await connectMqtt(ports.get('mqtt')!, { username: 'joe', password: S.envTicket, protocolVersion: 5 });
    await device.end();
    const refused = await connectMqtt(ports.get('mqtt')!, { username: 'joe', password: S.wrong, protocolVersion: 5 }).then(() => undefined, (error: unknown) => error);
    assert.ok(refused instanceof Error, 'a wrong MQTT password is refused');
    saw('MQTT refusal', `${refused.message} ${JSON.stringify(refused)}`);

    // The console's WebSocket: the operator's ticket, right and wrong.
    const consoleUrl = `ws://${web}/console/ws`;
    const wrongOperator = await RawClient.open(consoleUrl);
    assert.equal((await signIn(wrongOperator, 'console', 'ops', ['ticket'], () => S.wrong))[0], 3);
    wrongOperator.close();
  });

  it('signs bridge, Pusher and webhook requests right, wrong and too late', async () => {
    const publish = JSON.stringify({ topic: 'fwd.news', args: ['hello'] });
    const attempts: [string, string, string, number][] = [];
    const right = bridgeQuery('pubkey', S.publisher, publish);
    derive('a publisher signature', right.signature);
    attempts.push([`/publish?${right.query}`, publish, 'publisher, signed', 200]);
    attempts.push([`/publish?${bridgeQuery('pubkey', S.wrong, publish).query}`, publish, 'publisher, wrong signature', 401]);
    attempts.push([`/publish?${bridgeQuery('pubkey', S.publisher, publish, '2001-01-01T00:00:00.000Z').query}`, publish, 'publisher, expired', 401]);
    const call = JSON.stringify({ procedure: 'rest.api', args: [], kwargs: { method: 'GET', url: 'ok', params: { api_key: S.restQuery } } });
    const callRight = bridgeQuery('callkey', S.caller, call);
    derive('a caller signature', callRight.signature);
    attempts.push([`/call?${callRight.query}`, call, 'caller, signed', 200]);
    const failing = JSON.stringify({ procedure: 'rest.api', args: [], kwargs: { method: 'GET', url: 'fail', params: { token: S.queryToken } } });
    // The call's error is a 200 answer whose body names it.
    attempts.push([`/call?${bridgeQuery('callkey', S.caller, failing).query}`, failing, 'caller, the app fails', 200]);
    attempts.push([`/call?${bridgeQuery('callkey', S.wrong, call).query}`, call, 'caller, wrong signature', 401]);
    for (const [path, body, what, status] of attempts) {
      const answer = await httpCall('POST', `http://${web}${path}`, body);
      saw(`HTTP bridge answer (${what})`, answer);
      assert.equal(answer.status, status, `${what}: ${answer.body}`);
    }

    const hookBody = 'pushed';
    const hookSignature = `sha256=${createHmac('sha256', S.webhook).update(hookBody).digest('hex')}`;
    derive('a webhook signature', hookSignature.slice(7));
    for (const [signature, status] of [[hookSignature, 202], [`sha256=${createHmac('sha256', S.wrong).update(hookBody).digest('hex')}`, 401]] as const) {
      const answer = await httpCall('POST', `http://${web}/hook`, hookBody, { 'content-type': 'text/plain', 'x-hub-signature-256': signature });
      saw('webhook answers', answer);
      assert.ok(status === 202 ? answer.status < 300 : answer.status >= 400, `webhook ${signature}: ${answer.status} ${answer.body}`);
    }

    const pusherPort = ports.get('pusher')!;
    const events = JSON.stringify({ name: 'e', channels: ['news'], data: '{}' });
    const path = '/apps/app1/events';
    const apiRight = pusherApiQuery(path, events, S.pusher);
    derive('a Pusher HTTP API signature', apiRight.signature);
    for (const [query, status] of [[apiRight.query, 200], [pusherApiQuery(path, events, S.wrong).query, 401], [pusherApiQuery(path, events, S.pusher, 1_000_000_000).query, 401]] as const) {
      const answer = await httpCall('POST', `http://127.0.0.1:${pusherPort}${path}?${query}`, events);
      saw('Pusher HTTP API answers', answer);
      assert.equal(answer.status, status, answer.body);
    }

    // A private channel: the subscription's auth is signed with the app secret.
    const pusher = new WebSocket(`ws://127.0.0.1:${pusherPort}/app/app-key?protocol=7`);
    const frames: { event: string; data?: unknown; channel?: string }[] = [];
    pusher.on('message', (data: Buffer) => {
      saw('Pusher frames', data.toString());
      frames.push(JSON.parse(data.toString()) as { event: string });
    });
    await waitFor(() => frames.some((frame) => frame.event === 'pusher:connection_established'), 'the Pusher connection');
    const socketId = (JSON.parse(String(frames[0]!.data)) as { socket_id: string }).socket_id;
    const sign = (secret: string, channel: string) => createHmac('sha256', secret).update(`${socketId}:${channel}`).digest('hex');
    derive('a Pusher channel signature', sign(S.pusher, 'private-a'));
    pusher.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'private-a', auth: `app-key:${sign(S.pusher, 'private-a')}` } }));
    pusher.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'private-b', auth: `app-key:${sign(S.wrong, 'private-b')}` } }));
    await waitFor(() => frames.some((frame) => frame.event === 'pusher_internal:subscription_succeeded' && frame.channel === 'private-a')
      && frames.some((frame) => frame.event === 'pusher:subscription_error' || (frame.event === 'pusher:error')), 'the Pusher subscriptions answered');
    pusher.close();
  });

  it('says so when Redis refuses the password, without showing it', { skip: redisSkip }, async () => {
    const other = join(dir, 'wrong-redis');
    mkdirSync(other);
    writeFileSync(join(other, 'config.json'), JSON.stringify({
      version: 2,
      workers: [{
        type: 'router',
        realms: [{ name: 'realm1', roles: [{ name: 'anonymous', permissions: [] }] }],
        transports: [{ type: 'web', endpoint: { type: 'tcp', port: await freePort(), interface: '127.0.0.1' }, paths: { ws: { type: 'websocket' } } }],
        cluster: { redis: { url: `redis://:${S.wrong}@127.0.0.1:${redis!.port}/0` }, node_id: 'n2' },
      }],
    }));
    const refused = new RunningJunction(spawnOwned(process.execPath, [join(projectRoot, 'bin', 'junction.js'), 'start', '--cbdir', other, '--log-level', 'trace'],
      { cwd: other, stdio: ['ignore', 'pipe', 'pipe'] }));
    try {
      const line = await refused.started((logged) => logged.msg.includes('refused this node\'s user name or password'));
      assert.match(String(line.redis_error), /^WRONGPASS/);
      await refused.started((logged) => logged.msg === 'listening');
    } finally {
      refused.kill();
      await refused.waitForExit();
    }
    saw('the log of a node Redis refused', refused.lines.map((logged) => JSON.stringify(logged)).join('\n'));
    saw('its stderr', refused.stderr);
  });

  it('shows no secret to anyone, anywhere', async () => {
    // The forwarder's app fails: the events become dead letters, with their errors logged.
    await waitFor(() => app.requests.filter((request) => request.url.startsWith('/fail?key=')).length >= 2, 'the forwarder tried twice', 30_000);
    await waitFor(() => app.requests.filter((request) => request.url.startsWith('/fail?token=')).length >= 2, 'the Pusher webhook tried twice', 30_000);
    assert.ok(app.requests.some((request) => request.headers.authorization === `Bearer ${S.restHeader}`), 'the REST headers are sent');

    // The console, as its page asks it.
    const operator = await RawClient.open(`ws://${web}/console/ws`);
    assert.equal((await signIn(operator, 'console', 'ops', ['ticket'], () => S.console))[0], 2);
    const procedures = ['junction.config.get', 'junction.node.stats', 'junction.session.list', 'junction.subscription.list', 'junction.registration.list',
      'junction.forwarder.fwd.status', 'junction.forwarder.fwd.dead_letters', 'wamp.session.list'];
    for (const [index, procedure] of procedures.entries()) {
      operator.send([48, 100 + index, {}, procedure, []]);
      const answer = await operator.next((message) => (message[0] === 50 || message[0] === 8) && (message[1] === 100 + index || message[2] === 100 + index), 15_000);
      saw(`console ${procedure}`, answer);
      assert.equal(answer[0], 50, `${procedure}: ${JSON.stringify(answer)}`);
    }
    watcher.send([48, 1, {}, 'wamp.session.list', []]);
    const ids = ((await watcher.next((message) => message[0] === 50 && message[1] === 1))[3] as [number[]])[0];
    for (const [index, id] of ids.entries()) {
      watcher.send([48, 10 + index, {}, 'wamp.session.get', [id]]);
      saw('wamp.session.get', await watcher.next((message) => message[1] === 10 + index));
    }
    saw('meta events and answers the watcher got', watcher.messages);
    saw('long-poll answers', pipes.flatMap((pipe) => (pipe instanceof LongPollPipe ? pipe.answers : [])).join('\n'));
    operator.close();

    // A reload that fails (a password in the REST procedure's base URL), and the checks.
    writeFileSync(join(dir, 'config.json'), JSON.stringify(await configDocument('broken'), null, 2));
    const reload = await runJunction(['reload', '--pid-file', pidFile], 60_000, dir);
    saw('junction reload (refused)', reload);
    assert.notEqual(reload.code, 0, `the reload must fail: ${reload.stdout} ${reload.stderr}`);
    saw('junction check (broken)', await spawnCheck(dir));
    // A reload that changes a secret: its report names what changed.
    writeFileSync(join(dir, 'config.json'), JSON.stringify(await configDocument('changed'), null, 2));
    const changed = await runJunction(['reload', '--pid-file', pidFile], 60_000, dir);
    saw('junction reload (applied)', changed);
    assert.equal(changed.code, 0, `the reload applies: ${changed.stdout} ${changed.stderr}`);
    saw('junction check', await spawnCheck(dir));

    saw('/metrics', (await httpCall('GET', `http://${web}/metrics`)).body);
    saw('/info', (await httpCall('GET', `http://${web}/info`)).body);
    // Let the last log lines out.
    await new Promise((resolve) => setTimeout(resolve, 500));
    saw('the log (stdout)', junction.lines.map((line) => JSON.stringify(line)).join('\n'));
    saw('stderr', junction.stderr);

    assert.deepEqual(scan.leaks(), []);
    // The scan saw the surfaces it names.
    assert.ok(scan.textOf('console junction.config.get').includes('*****'), 'the config view masks');
    assert.ok(junction.lines.some((line) => line.msg === 'authentication failed'), 'the refusals were logged');
    assert.ok(junction.lines.some((line) => /^long-poll transport had no request within session_timeout/.test(line.msg)), 'a long-poll transport idled out');
  });
});

/** `junction check --cbdir DIR` with the environment the node had. */
async function spawnCheck(dir: string): Promise<unknown> {
  const previous = process.env.MYSECRET;
  process.env.MYSECRET = S.envTicket;
  try {
    return await runJunction(['check', '--cbdir', dir], 60_000, dir);
  } finally {
    if (previous === undefined) delete process.env.MYSECRET;
    else process.env.MYSECRET = previous;
  }
}
