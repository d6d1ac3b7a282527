import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WebSocketServer } from 'ws';
import { keysOf } from '../../src/auth/scram-keys.js';
import { scramHmacKey } from '../../src/auth/scram-password.js';
import { freePort, junctionBin, runJunction, RunningJunction } from '../support/cli.js';
import { spawnOwned } from '../support/processes.js';
import { RawClient } from '../support/raw-client.js';
import { SecretScan } from '../support/secret-scan.js';
import { selfSignedCertificate } from '../support/tls.js';
import { waitFor } from '../support/wait.js';

/**
 * No secret on any surface, part 2 (secret-surfaces.test.ts is part 1): router links and the node
 * key. Node A (`--log-level trace`) links to node B with the node key (made by `junction keys`),
 * a ticket, a WAMP-CRA secret and a SCRAM password, right and wrong, and on purpose to a key B does not know, a port
 * where nothing listens, B's TLS port with a certificate that does not verify, and a router that
 * quotes the ticket back, in its ABORT and in its GOODBYE (as Crossbar's does when a dynamic
 * authenticator's error quotes it), and in the errors, results and events the link forwards to A's
 * clients. Then no marker, nor A's private key, may show in either node's
 * log, their consoles, meta API, /metrics or /info, nor in `junction keys`, `junction check` and
 * `junction reload`; a key.priv that is no key (the marker in it) is refused naming the file, not
 * quoting it, and one made at start shows only its public key.
 */

const scan = new SecretScan();
const S = scan.marks('linkTicket', 'linkCra', 'linkScram', 'quotedTicket', 'droppedTicket', 'echoedTicket', 'consoleTicket', 'changedTicket', 'wrong', 'urlToken', 'urlPassword', 'keyFile');

const allowAll = { uri: '', match: 'prefix', allow: { call: true, register: true, publish: true, subscribe: true } };
const roles = [
  { name: 'anonymous', permissions: [allowAll] },
  { name: 'operator', permissions: [allowAll] },
  { name: 'rlink', permissions: [{ ...allowAll, disclose: { caller: true, publisher: true } }] },
];
const consolePath = { type: 'console', realm: 'realm1', auth: { ticket: { type: 'static', principals: { ops: { ticket: S.consoleTicket, role: 'operator' } } } } };
const webPaths = { console: consolePath, info: { type: 'nodeinfo' }, metrics: { type: 'metrics' }, watch: { type: 'websocket' } };

/** A web transport on `port` with `paths` besides the console, /info, /metrics and an open /watch. */
const web = (port: number, paths: object) => ({ type: 'web', id: 'web', endpoint: { type: 'tcp', interface: '127.0.0.1', port }, paths: { ...paths, ...webPaths } });

function nodeConfig(transports: object[], rlinks: object[] = []): object {
  return { version: 2, workers: [{ type: 'router', sign_in: { failure_budget: 1000 }, realms: [{ name: 'realm1', roles, rlinks }], transports }] };
}

/** A WebSocket link from A to 127.0.0.1:`port`, at `path` (the URL's). */
const wsLink = (id: string, port: number, path = '/ws', more: object = {}) => ({
  id, realm: 'realm1', ...more,
  transport: { type: 'websocket', url: `ws://127.0.0.1:${port}${path}`, endpoint: { type: 'tcp', host: '127.0.0.1', port } },
});

/**
 * A router that quotes the ticket it is given back: in its ABORT (path /abort), in a GOODBYE
 * once it has welcomed the link (path /goodbye), or (path /echo) in what the link forwards: it
 * lists two registrations (echo.error, echo.result) whose calls it answers with an ERROR and a
 * RESULT quoting the ticket, and sends an EVENT quoting it (its publisher's authid too) on each
 * subscription to echo.news it is asked for.
 */
async function quotingRouter(): Promise<WebSocketServer> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => 'wamp.2.json' });
  server.on('connection', (socket, request) => {
    let ticket = '';
    const send = (message: unknown[]) => socket.send(JSON.stringify(message));
    socket.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString()) as unknown[];
      if (message[0] === 1) send([4, 'ticket', {}]);
      else if (message[0] === 5) {
        ticket = String(message[1]);
        if (request.url === '/abort') return send([3, { message: `invalid ticket '${ticket}'` }, 'wamp.error.not_authorized']);
        send([2, 77, { authid: 'linker', authrole: 'rlink', roles: { broker: {}, dealer: {} } }]);
        if (request.url === '/goodbye') setTimeout(() => send([6, { message: `ticket '${ticket}' revoked` }, 'wamp.close.system_shutdown']), 100);
      } else if (request.url === '/echo') echoAnswer(message, ticket, send);
    });
  });
  await new Promise((resolve) => server.once('listening', resolve));
  return server;
}

/** The answers of the quoting router at /echo to what a link sends once welcomed (SUBSCRIBE, REGISTER, CALL, UNSUBSCRIBE, UNREGISTER, GOODBYE). */
function echoAnswer(message: unknown[], ticket: string, send: (message: unknown[]) => void): void {
  const [type, request] = message as [number, number];
  const registrations = [{ id: 1, uri: 'echo.error', match: 'exact' }, { id: 2, uri: 'echo.result', match: 'exact' }];
  const results: Record<string, unknown[]> = {
    'wamp.registration.list': [{ exact: [1, 2], prefix: [], wildcard: [] }],
    'wamp.registration.get': [registrations.find(({ id }) => id === (message[4] as unknown[] | undefined)?.[0])],
    'wamp.registration.list_callees': [[]],
    'wamp.subscription.list': [{ exact: [], prefix: [], wildcard: [] }],
  };
  if (type === 32) {
    send([33, request, 100 + request]);
    if (message[3] === 'echo.news') send([36, 100 + request, 5, { publisher: 9, publisher_authid: ticket, publisher_authrole: 'user' }, [`ticket '${ticket}' seen`], { ticket }]);
  } else if (type === 64) send([65, request, 100 + request]);
  else if (type === 34 || type === 66) send([type + 1, request]);
  else if (type === 6) send([6, {}, 'wamp.close.goodbye_and_out']);
  else if (type === 48 && message[3] === 'echo.error') send([8, 48, request, {}, 'wamp.error.not_authorized', [`invalid ticket '${ticket}'`], { ticket }]);
  else if (type === 48 && message[3] === 'echo.result') send([50, request, {}, [`ticket '${ticket}' accepted`], { ticket }]);
  else if (type === 48) send([50, request, {}, results[String(message[3])] ?? []]);
}

function startNode(dir: string): RunningJunction {
  return new RunningJunction(spawnOwned(process.execPath, [junctionBin, 'start', '--cbdir', dir, '--log-level', 'trace', '--pid-file', join(dir, 'node.pid')],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** Signs in to `url` as `authid` with the ticket `ticket`; the connection is returned open when welcomed. */
async function ticketSignIn(url: string, authid: string, ticket: string): Promise<RawClient> {
  const client = await RawClient.open(url);
  client.send([1, 'realm1', { roles: { caller: {} }, authmethods: ['ticket'], authid }]);
  await client.next((message) => message[0] === 4, 15_000);
  client.send([5, ticket, {}]);
  const outcome = await client.next((message) => message[0] === 2 || message[0] === 3, 15_000);
  scan.saw(`${url} sign-in`, outcome);
  assert.equal(outcome[0], 2, JSON.stringify(outcome));
  return client;
}

/** Calls each of `procedures` over `client` and keeps the answers as surface `where`; resolves with them. */
async function callEach(client: RawClient, where: string, procedures: [string, unknown[]][]): Promise<unknown[][]> {
  const answers: unknown[][] = [];
  for (const [index, [procedure, args]] of procedures.entries()) {
    const request = 1000 + index;
    client.send([48, request, {}, procedure, args]);
    const answer = await client.next((message) => (message[0] === 50 && message[1] === request) || (message[0] === 8 && message[2] === request), 15_000);
    scan.saw(`${where} ${procedure}`, answer);
    assert.equal(answer[0], 50, `${where} ${procedure}: ${JSON.stringify(answer)}`);
    answers.push(answer);
  }
  return answers;
}

describe('no secret on any surface: router links and the node key', { timeout: 300_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'junction-secret-rlinks-'));
  const dirA = join(root, 'a');
  const dirB = join(root, 'b');
  let a: RunningJunction;
  let b: RunningJunction;
  let quoting: WebSocketServer;
  let certificate: ReturnType<typeof selfSignedCertificate>;
  const ports = { a: 0, b: 0, tls: 0, nothing: 0 };
  const open: RawClient[] = [];

  before(async () => {
    for (const name of Object.keys(ports) as (keyof typeof ports)[]) ports[name] = await freePort();
    quoting = await quotingRouter();
    mkdirSync(dirA);
    mkdirSync(dirB);
    // The node key, made as an operator would: `junction keys`, which prints the public key only.
    const keys = await runJunction(['keys', '--cbdir', dirA], 60_000, dirA);
    assert.equal(keys.code, 0, keys.stderr);
    const publicKey = /node public key \(hex\): ([0-9a-f]{64})/.exec(keys.stdout)?.[1];
    assert.ok(publicKey, keys.stdout);
    const seed = /private-key-ed25519: ([0-9a-f]{64})/.exec(readFileSync(join(dirA, 'key.priv'), 'utf8'))?.[1];
    assert.ok(seed, 'junction keys wrote key.priv');
    scan.derive('the node key\'s private seed', seed, seed.toUpperCase(), Buffer.from(seed, 'hex').toString('base64'), Buffer.from(seed, 'hex').toString('base64url'));
    scan.saw('junction keys', keys);

    certificate = selfSignedCertificate(dirB);
    const salt = Buffer.from('secret-surfaces-rlinks-salt');
    const salted = await scramHmacKey(S.linkScram, { kdf: 'pbkdf2', iterations: 1000, salt });
    const { storedKey, serverKey } = keysOf(salted);
    scan.derive('a SCRAM key', storedKey.toString('hex'), serverKey.toString('hex'), Buffer.from(salted).toString('hex'));
    const linkAuth = {
      cryptosign: { type: 'static', principals: { rlink: { realm: 'realm1', role: 'rlink', authorized_keys: [publicKey] } } },
      ticket: { type: 'static', principals: { linker: { ticket: S.linkTicket, role: 'rlink' } } },
      wampcra: { type: 'static', users: { crauser: { secret: S.linkCra, role: 'rlink' } } },
      scram: { type: 'static', principals: { scrammer: { kdf: 'pbkdf2', iterations: 1000, salt: salt.toString('hex'), 'stored-key': storedKey.toString('hex'), 'server-key': serverKey.toString('hex'), role: 'rlink' } } },
    };
    const otherKey = { cryptosign: { type: 'static', principals: { rlink: { realm: 'realm1', role: 'rlink', authorized_keys: ['ab'.repeat(32)] } } } };
    writeFileSync(join(dirB, 'config.json'), JSON.stringify(nodeConfig([
      web(ports.b, { ws: { type: 'websocket', auth: linkAuth }, strange: { type: 'websocket', auth: otherKey } }),
      ...(certificate ? [{ type: 'websocket', id: 'tls', endpoint: { type: 'tcp', interface: '127.0.0.1', port: ports.tls, tls: certificate }, auth: linkAuth }] : []),
    ])));
    const quotingPort = (quoting.address() as AddressInfo).port;
    writeFileSync(join(dirA, 'config.json'), JSON.stringify(nodeConfig([web(ports.a, { ws: { type: 'websocket' } })], [
      wsLink('by_key', ports.b, `/ws?token=${S.urlToken}`),
      wsLink('by_ticket', ports.b, '/ws', { authid: 'linker', auth: { ticket: { ticket: S.linkTicket } } }),
      wsLink('by_cra', ports.b, '/ws', { authid: 'crauser', auth: { wampcra: { secret: S.linkCra } } }),
      wsLink('wrong_ticket', ports.b, '/ws', { authid: 'linker', auth: { ticket: { ticket: S.wrong } } }),
      wsLink('wrong_cra', ports.b, '/ws', { authid: 'crauser', auth: { wampcra: { secret: S.wrong } } }),
      wsLink('by_scram', ports.b, '/ws', { authid: 'scrammer', auth: { scram: { password: S.linkScram } } }),
      wsLink('wrong_scram', ports.b, '/ws', { authid: 'scrammer', auth: { scram: { password: S.wrong } } }),
      wsLink('unknown_key', ports.b, '/strange'),
      // Credentials in the URL too: the connection's error names it.
      {
        ...wsLink('unreachable', ports.nothing, '/ws', { authid: 'linker', auth: { ticket: { ticket: S.linkTicket } } }),
        transport: { type: 'websocket', url: `ws://linker:${S.urlPassword}@127.0.0.1:${ports.nothing}/ws?token=${S.urlToken}`, endpoint: { type: 'tcp', host: '127.0.0.1', port: ports.nothing } },
      },
      wsLink('quoted_abort', quotingPort, '/abort', { authid: 'linker', auth: { ticket: { ticket: S.quotedTicket } } }),
      wsLink('quoted_goodbye', quotingPort, '/goodbye', { authid: 'linker', auth: { ticket: { ticket: S.droppedTicket } } }),
      wsLink('quoted_echo', quotingPort, '/echo', { authid: 'linker', auth: { ticket: { ticket: S.echoedTicket } } }),
      ...(certificate ? [{
        id: 'tls_unverified', realm: 'realm1', authid: 'linker', auth: { ticket: { ticket: S.linkTicket } },
        transport: { type: 'websocket', url: `wss://localhost:${ports.tls}/`, endpoint: { type: 'tcp', host: '127.0.0.1', port: ports.tls, tls: { hostname: 'localhost' } } },
      }] : []),
    ])));
    b = startNode(dirB);
    a = startNode(dirA);
    await b.started((line) => line.msg === 'listening');
    await a.started((line) => line.msg === 'listening');
  });

  after(async () => {
    for (const client of open) client.close();
    for (const node of [a, b]) node?.kill();
    await Promise.all([a?.waitForExit(), b?.waitForExit()]);
    await new Promise((resolve) => quoting?.close(resolve));
    rmSync(root, { recursive: true, force: true });
  });

  it('brings up the good links and fails the others, each failure logged', async () => {
    const up = (id: string) => a.lines.some((line) => line.msg === 'router link up' && line.rlink === id);
    const failed = (id: string, message: RegExp) => a.lines.some((line) => line.rlink === id && message.test(line.msg));
    await waitFor(() => ['by_key', 'by_ticket', 'by_cra', 'by_scram'].every(up), `the good links up: ${JSON.stringify(a.lines.filter((line) => line.rlink !== undefined).slice(-20))}`, 60_000);
    const expected: [string, RegExp][] = [
      ['wrong_ticket', /cannot join/], ['wrong_cra', /cannot join/], ['wrong_scram', /cannot join/], ['unknown_key', /cannot join/], ['unreachable', /cannot join/],
      ['quoted_abort', /cannot join/], ['quoted_goodbye', /ended|cannot set up/],
    ];
    if (certificate) expected.push(['tls_unverified', /TLS certificate does not verify/]);
    await waitFor(() => expected.every(([id, message]) => failed(id, message)),
      `every failure logged: ${JSON.stringify(expected.filter(([id, message]) => !failed(id, message)))}`, 60_000);
    assert.ok(b.lines.some((line) => line.msg === 'authentication failed' && line.authid === 'linker'), 'B logged the wrong ticket');
  });

  it('shows the links in the consoles, the meta API, /metrics and /info of both nodes', async () => {
    for (const [name, port] of [['A', ports.a], ['B', ports.b]] as const) {
      const operator = await ticketSignIn(`ws://127.0.0.1:${port}/console/ws`, 'ops', S.consoleTicket);
      open.push(operator);
      await callEach(operator, `console of ${name}`, [['junction.config.get', []], ['junction.node.stats', []], ['junction.session.list', []]]);
      const watcher = await RawClient.open(`ws://127.0.0.1:${port}/watch`);
      open.push(watcher);
      await watcher.hello();
      const [list] = await callEach(watcher, `meta API of ${name}`, [['wamp.session.list', []]]);
      await callEach(watcher, `meta API of ${name}`, (list![3] as [number[]])[0].map((id) => ['wamp.session.get', [id]]));
      for (const path of ['metrics', 'info']) scan.saw(`/${path} of ${name}`, await (await fetch(`http://127.0.0.1:${port}/${path}`)).text());
    }
    assert.match(scan.textOf('/metrics of A'), /junction_rlink_failures_total\{[^}]*wrong_ticket/);
    assert.match(scan.textOf('console of A junction.config.get'), /rlinks/);
  });

  it('masks the ticket where the other router quotes it in the errors, results and events the link passes on to A\'s clients, and counts each', async () => {
    await a.started((line) => line.msg === 'router link up' && line.rlink === 'quoted_echo');
    const client = await RawClient.open(`ws://127.0.0.1:${ports.a}/ws`);
    open.push(client);
    await client.hello();
    const answer = async (procedure: string) => {
      client.send([48, 1, {}, procedure, []]);
      return client.next((message) => (message[0] === 50 || message[0] === 8) && message[message[0] === 8 ? 2 : 1] === 1, 15_000);
    };
    // The link is up once it has mirrored the other router's registrations here.
    const error = await answer('echo.error');
    scan.saw('an error the link passed on', error);
    assert.deepEqual(error.slice(4), ['wamp.error.not_authorized', ["invalid ticket '*****'"], { ticket: '*****' }]);
    const result = await answer('echo.result');
    scan.saw('a result the link passed on', result);
    assert.deepEqual(result.slice(3), [["ticket '*****' accepted"], { ticket: '*****' }]);
    client.send([32, 2, {}, 'echo.news']);
    const event = await client.next((message) => message[0] === 36, 30_000);
    scan.saw('an event the link passed on', event);
    assert.deepEqual(event.slice(4), [["ticket '*****' seen"], { ticket: '*****' }]);
    const metrics = await (await fetch(`http://127.0.0.1:${ports.a}/metrics`)).text();
    scan.saw('/metrics of A after the echoes', metrics);
    assert.match(metrics, /junction_rlink_secret_echoes_total\{action="masked",link="quoted_echo",realm="realm1"\} 3\n/);
  });

  it('refuses a key.priv that is no key naming the file, without quoting it, and makes a missing one without showing it', async () => {
    const dirC = join(root, 'c');
    mkdirSync(dirC);
    writeFileSync(join(dirC, 'config.json'), JSON.stringify(nodeConfig([web(await freePort(), {})], [wsLink('to_b', ports.b)])));
    for (const [what, text] of [
      ['the marker as the seed', `creator: test\nprivate-key-ed25519: ${S.keyFile}\n`],
      ['the marker on a line of its own', `creator: test\n${S.keyFile}\n`],
      ['a seed too short, the marker after it', `private-key-ed25519: ${'0'.repeat(60)} ${S.keyFile}\n`],
    ] as const) {
      writeFileSync(join(dirC, 'key.priv'), text);
      for (const command of [['start', '--cbdir', dirC], ['keys', '--cbdir', dirC], ['check', '--cbdir', dirC]]) {
        const result = await runJunction(command, 60_000, dirC);
        scan.saw(`junction ${command[0]} with ${what}`, result);
        assert.notEqual(result.code, 0, `junction ${command[0]} with ${what}: ${result.stdout}`);
        assert.match(result.stderr, /key\.priv: expected a line "private-key-ed25519: <64 hex digits>"/, `junction ${command[0]} with ${what}`);
      }
    }
    // Without the file, start makes the key and logs its public part.
    rmSync(join(dirC, 'key.priv'));
    const c = startNode(dirC);
    try {
      const made = await c.started((line) => line.msg.startsWith('node key made'));
      const seed = /private-key-ed25519: ([0-9a-f]{64})/.exec(readFileSync(join(dirC, 'key.priv'), 'utf8'))![1]!;
      scan.derive('a node key made at start', seed, seed.toUpperCase());
      assert.match(String(made.public_key), /^[0-9a-f]{64}$/);
      await c.started((line) => line.rlink === 'to_b' && /cannot join/.test(line.msg));
    } finally {
      c.kill();
      await c.waitForExit();
    }
    scan.saw('the log of a node that made its key', c.lines.map((line) => JSON.stringify(line)).join('\n'));
    scan.saw('its stderr', c.stderr);
  });

  it('refuses a link\'s TLS client key that is no key naming the link, without quoting it', async () => {
    const dirD = join(root, 'd');
    mkdirSync(dirD);
    for (const file of ['client.key', 'client.crt']) writeFileSync(join(dirD, file), `-----BEGIN PRIVATE KEY-----\n${S.keyFile}\n-----END PRIVATE KEY-----\n`);
    const link = wsLink('client_cert', ports.tls, '/', { authid: 'linker', auth: { ticket: { ticket: S.linkTicket } } });
    link.transport.endpoint = { ...link.transport.endpoint, tls: { hostname: 'localhost', certificate: 'client.crt', key: 'client.key' } } as typeof link.transport.endpoint;
    writeFileSync(join(dirD, 'config.json'), JSON.stringify(nodeConfig([web(await freePort(), {})], [link])));
    for (const command of ['start', 'check']) {
      const result = await runJunction([command, '--cbdir', dirD], 60_000, dirD);
      scan.saw(`junction ${command} with a link's TLS key that is no key`, result);
      assert.notEqual(result.code, 0, result.stdout);
      assert.match(result.stderr, /realm "realm1" rlink "client_cert": its transport\.endpoint\.tls\.key \S+client\.key is not a usable PEM private key/);
    }
  });

  it('reloads A with a link\'s ticket changed: the reload says links do not change, without the tickets', async () => {
    const file = join(dirA, 'config.json');
    writeFileSync(file, readFileSync(file, 'utf8').replaceAll(S.linkTicket, S.changedTicket));
    const reload = await runJunction(['reload', '--pid-file', join(dirA, 'node.pid')], 60_000, dirA);
    scan.saw('junction reload of A', reload);
    assert.match(`${reload.stdout}${reload.stderr}`, /rlink/i, `the reload names the links: ${reload.stdout} ${reload.stderr}`);
  });

  it('shows no secret in either node\'s log, nor anywhere else', async () => {
    scan.saw('junction check of A', await runJunction(['check', '--cbdir', dirA], 60_000, dirA));
    scan.saw('junction keys again', await runJunction(['keys', '--cbdir', dirA], 60_000, dirA));
    const asked = await runJunction(['keys', '--private', '--cbdir', dirA], 60_000, dirA);
    assert.notEqual(asked.code, 0, 'junction keys --private is refused');
    scan.saw('junction keys --private', asked);
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const [name, node] of [['A', a], ['B', b]] as const) {
      scan.saw(`the log of ${name}`, node.lines.map((line) => JSON.stringify(line)).join('\n'));
      scan.saw(`the stderr of ${name}`, node.stderr);
    }
    assert.deepEqual(scan.leaks(), []);
  });
});
