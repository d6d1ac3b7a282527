import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, junctionBin, runJunction, RunningJunction } from '../support/cli.js';
import { skipWithoutDebian } from '../support/debian.js';
import { spawnOwned } from '../support/processes.js';
import { RawClient } from '../support/raw-client.js';
import { RunningRedis } from '../support/redis-server.js';
import { SecretScan } from '../support/secret-scan.js';
import { waitFor } from '../support/wait.js';

/**
 * No secret on any surface, part 2 (secret-surfaces.test.ts is part 1): `junction start --workers 2
 * --log-level trace` whose every secret is a marker, in a Redis cluster with a password when
 * redis-server is there (a second node beside it, one more with a wrong password, and Redis
 * restarted under them). Every worker is signed in to with right and wrong secrets, and with a
 * cookie their shared store holds (the parent's, or Redis'), and then no marker nor the cookie may
 * show in the parent's or the workers' log lines, `junction status` and `junction
 * reload` (a reload that fails, and one that changes a secret), the console's procedures and
 * /metrics and /info as the workers serve them, nor in what a node whose workers cannot start (a
 * cookie store where a file stands; a TLS key file that is no key, the marker in it: refused by the
 * parent) or whose Redis refuses its password says.
 */

const scan = new SecretScan();
const S = scan.marks('ticket', 'envTicket', 'craPlain', 'console', 'publisher', 'pusher', 'forwarderHeader', 'redis', 'wrong', 'keyFile', 'reloadTicket');
const redisSkip = skipWithoutDebian('redis-server');

const allowAll = { uri: '', match: 'prefix', allow: { call: true, register: true, publish: true, subscribe: true } };

/**
 * `variant`: "typo" holds a ticket in a list (the reload is refused); "changed" changes ann's ticket (it applies).
 * `password`: in the Redis URL, or `{key: ...}` in cluster.redis.password.
 */
function configDocument(port: number, redis: RunningRedis | undefined, nodeId: string, variant?: 'typo' | 'changed', password: string | { key: string } = S.redis): object {
  const redisAt = `127.0.0.1:${redis?.port}/0`;
  const redisSettings = typeof password === 'string' ? { url: `redis://:${password}@${redisAt}` } : { url: `redis://${redisAt}`, password: password.key };
  const annTicket = variant === 'typo' ? [S.reloadTicket] : variant === 'changed' ? S.reloadTicket : S.ticket;
  const auth = {
    ticket: { type: 'static', principals: { joe: { ticket: '${MYSECRET}', role: 'user' }, ann: { ticket: annTicket, role: 'user' } } },
    wampcra: { type: 'static', users: { cra: { secret: S.craPlain, role: 'user' } } },
  };
  return {
    version: 2,
    workers: [{
      type: 'router',
      sign_in: { failure_budget: 1000 },
      realms: [{ name: 'realm1', roles: [{ name: 'user', permissions: [allowAll] }, { name: 'operator', permissions: [allowAll] }] }],
      transports: [{
        type: 'web', id: 'web', endpoint: { type: 'tcp', interface: '127.0.0.1', port },
        paths: {
          ws: { type: 'websocket', cookie: { store: { type: 'memory' } }, auth: { ...auth, cookie: {} } },
          publish: { type: 'publisher', realm: 'realm1', role: 'user', options: { key: 'pubkey', secret: S.publisher } },
          console: { type: 'console', realm: 'realm1', auth: { ticket: { type: 'static', principals: { ops: { ticket: S.console, role: 'operator' } } } } },
          info: { type: 'nodeinfo' },
          metrics: { type: 'metrics' },
        },
      }],
      components: [{
        type: 'class', id: 'fwd', classname: 'crossbar.bridge.rest.MessageForwarder', realm: 'realm1', role: 'user',
        extra: {
          subscriptions: [{ topic: 'fwd.', match: 'prefix', url: 'http://127.0.0.1:9/down' }],
          headers: { Authorization: `Bearer ${S.forwarderHeader}` },
          retry: { initial_delay: 10, max_delay: 20, max_attempts: 2 },
        },
      }],
      ...(redis ? { cluster: { redis: redisSettings, node_id: nodeId } } : {}),
    }],
  };
}

/** `junction start --log-level trace --workers 2` in `dir`, with the ticket in its environment. */
function startWorkers(dir: string, extra: string[] = []): RunningJunction {
  return new RunningJunction(spawnOwned(process.execPath, [junctionBin, 'start', '--cbdir', dir, '--log-level', 'trace', '--workers', '2', ...extra],
    { cwd: dir, env: { ...process.env, MYSECRET: S.envTicket }, stdio: ['ignore', 'pipe', 'pipe'] }));
}

const servingWorkers = (junction: RunningJunction): number => junction.lines.filter((line) => line.msg === 'worker serving').length;

/** Signs in once over `url` with `authid` and `method`, answering the challenge with `answer`; the connection stays open in `open`. */
async function signIn(url: string, authid: string, method: string, answer: (extra: Record<string, unknown>) => string, open: RawClient[]): Promise<number> {
  const client = await RawClient.open(url);
  open.push(client);
  client.send([1, 'realm1', { roles: { caller: {}, subscriber: {}, publisher: {} }, authmethods: [method], authid }]);
  const first = await client.next((message) => [2, 3, 4].includes(message[0] as number), 15_000);
  if (first[0] === 4) client.send([5, answer(first[2] as Record<string, unknown>), {}]);
  const outcome = first[0] === 4 ? await client.next((message) => message[0] === 2 || message[0] === 3, 15_000) : first;
  scan.saw(`${url} sign-in answers`, [first, outcome]);
  return outcome[0] as number;
}

const craSign = (secret: string) => (extra: Record<string, unknown>): string => createHmac('sha256', secret).update(String(extra.challenge)).digest('base64');

/** Signs in to the console on `port` as its operator and calls each of `procedures`, keeping the answers as `where PROCEDURE`. */
async function consoleAnswers(port: number, where: string, procedures: string[], open: RawClient[]): Promise<void> {
  const operator = await RawClient.open(`ws://127.0.0.1:${port}/console/ws`);
  open.push(operator);
  operator.send([1, 'realm1', { roles: { caller: {} }, authmethods: ['ticket'], authid: 'ops' }]);
  await operator.next((message) => message[0] === 4, 15_000);
  operator.send([5, S.console, {}]);
  assert.equal((await operator.next((message) => message[0] === 2 || message[0] === 3, 15_000))[0], 2);
  for (const [index, procedure] of procedures.entries()) {
    operator.send([48, 100 + index, {}, procedure, []]);
    const answer = await operator.next((message) => (message[0] === 50 || message[0] === 8) && (message[1] === 100 + index || message[2] === 100 + index), 15_000);
    scan.saw(`${where} ${procedure}`, answer);
    assert.equal(answer[0], 50, `${procedure}: ${JSON.stringify(answer)}`);
  }
}

async function httpText(url: string, init?: RequestInit): Promise<{ status: number; body: string }> {
  const answer = await fetch(url, init);
  return { status: answer.status, body: await answer.text() };
}

describe('no secret on any surface: --workers 2, a Redis cluster with a password', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'junction-secret-workers-'));
  const pidFile = join(dir, 'junction.pid');
  const running: RunningJunction[] = [];
  const open: RawClient[] = [];
  let redis: RunningRedis | undefined;
  let junction: RunningJunction;
  let port = 0;

  before(async () => {
    if (!redisSkip) redis = await RunningRedis.start(['--requirepass', S.redis]);
    port = await freePort();
    writeFileSync(join(dir, 'config.json'), JSON.stringify(configDocument(port, redis, 'n1')));
    junction = startWorkers(dir, ['--pid-file', pidFile]);
    running.push(junction);
    await junction.started(() => servingWorkers(junction) >= 2);
  });

  after(async () => {
    for (const client of open) client.close();
    for (const node of running) node.kill();
    await Promise.all(running.map((node) => node.waitForExit()));
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('signs in on every worker with right and wrong secrets, and serves the console, /metrics and /info from them', async () => {
    const ws = `ws://127.0.0.1:${port}/ws`;
    // Connections are spread over the workers: enough of each kind reaches both.
    for (let round = 0; round < 4; round++) {
      assert.equal(await signIn(ws, 'joe', 'ticket', () => S.envTicket, open), 2);
      assert.equal(await signIn(ws, 'ann', 'ticket', () => S.ticket, open), 2);
      assert.equal(await signIn(ws, 'ann', 'ticket', () => S.wrong, open), 3);
      assert.equal(await signIn(ws, 'cra', 'wampcra', craSign(S.craPlain), open), 2);
      assert.equal(await signIn(ws, 'cra', 'wampcra', craSign(S.wrong), open), 3);
      assert.equal(await signIn(`ws://127.0.0.1:${port}/console/ws`, 'ops', 'ticket', () => S.wrong, open), 3);
    }
    for (const [secret, status] of [[S.publisher, 200], [S.wrong, 401]] as const) {
      const body = JSON.stringify({ topic: 'fwd.news', args: ['hello'] });
      const timestamp = new Date().toISOString();
      const nonce = String(Math.floor(Math.random() * 2 ** 52));
      const signature = createHmac('sha256', secret).update(`pubkey${timestamp}1${nonce}${body}`).digest('base64url');
      if (secret === S.publisher) scan.derive('a publisher signature', signature);
      const query = new URLSearchParams({ key: 'pubkey', timestamp, seq: '1', nonce, signature });
      const answer = await httpText(`http://127.0.0.1:${port}/publish?${query}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
      scan.saw('HTTP bridge answers', answer);
      assert.equal(answer.status, status, answer.body);
    }

    for (let round = 0; round < 2; round++) {
      await consoleAnswers(port, 'console', ['junction.config.get', 'junction.node.stats', 'junction.session.list', 'junction.forwarder.fwd.status', 'wamp.session.list'], open);
      for (const path of ['metrics', 'info']) scan.saw(`/${path}`, (await httpText(`http://127.0.0.1:${port}/${path}`)).body);
    }
    assert.match(scan.textOf('console junction.config.get'), /\*\*\*\*\*/, 'the config view masks');
    assert.match(scan.textOf('/metrics'), /junction_/, '/metrics answered');
  });

  it('binds a cookie on one worker that signs in on both, and logs out on every worker', async () => {
    const ws = `ws://127.0.0.1:${port}/ws`;
    const first = await RawClient.open(ws);
    open.push(first);
    const cookie = /cbtid=([^;]+)/.exec(String(first.upgradeHeaders['set-cookie']))?.[1];
    assert.ok(cookie, 'the upgrade sets a cookie');
    // The cookie signs the browser in: a credential, which the workers' shared store (the parent's, or Redis') holds.
    scan.derive('the cookie', cookie);
    first.send([1, 'realm1', { roles: { subscriber: {} }, authmethods: ['cookie', 'ticket'], authid: 'ann' }]);
    await first.next((message) => message[0] === 4, 15_000);
    first.send([5, S.ticket, {}]);
    assert.equal((await first.next((message) => message[0] === 2 || message[0] === 3, 15_000))[0], 2);
    const byCookie: RawClient[] = [];
    for (let round = 0; round < 4; round++) {
      const again = await RawClient.open(ws, ['wamp.2.json'], { headers: { cookie: `cbtid=${cookie}` } });
      open.push(again);
      again.send([1, 'realm1', { roles: { subscriber: {} }, authmethods: ['cookie'] }]);
      const welcome = await again.next((message) => message[0] === 2 || message[0] === 3, 15_000);
      scan.saw('sign-ins by cookie', welcome);
      assert.equal(welcome[0], 2, JSON.stringify(welcome));
      byCookie.push(again);
    }
    first.send([6, {}, 'wamp.close.logout']);
    await waitFor(() => byCookie.every((client) => client.closeCode !== undefined), 'every connection with the cookie closed', 30_000);
  });

  it('answers junction status and junction reload (refused, then applied) without a secret', async () => {
    scan.saw('junction status', await runJunction(['status', '--pid-file', pidFile], 60_000, dir));
    writeFileSync(join(dir, 'config.json'), JSON.stringify(configDocument(port, redis, 'n1', 'typo')));
    const refused = await runJunction(['reload', '--pid-file', pidFile], 60_000, dir);
    scan.saw('junction reload (refused)', refused);
    assert.notEqual(refused.code, 0, `the reload must fail: ${refused.stdout} ${refused.stderr}`);
    assert.match(refused.stdout + refused.stderr, /ticket/, 'the refusal names the ticket');
    writeFileSync(join(dir, 'config.json'), JSON.stringify(configDocument(port, redis, 'n1', 'changed')));
    const applied = await runJunction(['reload', '--pid-file', pidFile], 60_000, dir);
    scan.saw('junction reload (applied)', applied);
    assert.equal(applied.code, 0, `the reload applies: ${applied.stdout} ${applied.stderr}`);
    // Each worker logs what it changed.
    await junction.waitForLine((line) => /^reload: /.test(line.msg) && String(line.node).endsWith('w2'), 30_000);
  });

  it('restarts a worker killed with SIGKILL, which signs in the changed ticket', async () => {
    (await junction.worker('w2')).signal('SIGKILL');
    await junction.waitForLine(() => servingWorkers(junction) >= 3, 60_000);
    for (let round = 0; round < 4; round++) assert.equal(await signIn(`ws://127.0.0.1:${port}/ws`, 'ann', 'ticket', () => S.reloadTicket, open), 2);
  });

  it('says why its workers cannot start (a cookie store where a file stands) or it cannot (a TLS key file that is no key), without a secret', async () => {
    const said = async (name: string, transport: (port: number) => object, message: RegExp): Promise<void> => {
      const other = join(dir, name);
      mkdirSync(other);
      // What a pasted secret in the wrong file looks like: the marker on a line of its own.
      for (const file of ['server.key', 'server.crt']) writeFileSync(join(other, file), `-----BEGIN PRIVATE KEY-----\n${S.keyFile}\n-----END PRIVATE KEY-----\n`);
      writeFileSync(join(other, 'blocker'), 'a file where the cookie store\'s folder should be');
      writeFileSync(join(other, 'config.json'), JSON.stringify({
        version: 2,
        workers: [{ type: 'router', realms: [{ name: 'realm1', roles: [{ name: 'user', permissions: [allowAll] }] }], transports: [transport(await freePort())] }],
      }));
      const failing = startWorkers(other);
      running.push(failing);
      const code = await Promise.race([failing.exited, new Promise((resolve) => setTimeout(() => resolve('still running'), 60_000))]);
      const text = `${failing.lines.map((line) => JSON.stringify(line)).join('\n')}\n${failing.stderr}`;
      assert.ok(code !== 0 && code !== 'still running', `the node must not start: ${text}`);
      assert.match(text, message);
      scan.saw(`a node with ${name}`, text);
      scan.saw(`junction check of a node with ${name}`, await runJunction(['check', '--cbdir', other], 60_000, other));
    };
    const ticketAuth = { ticket: { type: 'static', principals: { ann: { ticket: S.ticket, role: 'user' } } } };
    await said('a blocked cookie store', (port) => ({
      type: 'web', endpoint: { type: 'tcp', interface: '127.0.0.1', port },
      paths: { ws: { type: 'websocket', cookie: { store: { type: 'file', filename: 'blocker/cookies' } }, auth: { ...ticketAuth, cookie: {} } } },
    }), /worker exited before it was serving[^]*cannot create the cookie store folder/);
    await said('a TLS key that is no key', (port) => ({
      type: 'websocket', endpoint: { type: 'tcp', interface: '127.0.0.1', port, tls: { key: 'server.key', certificate: 'server.crt' } }, auth: ticketAuth,
    }), /cannot start: transport "transport0": its endpoint\.tls\.key .+server\.key is not a usable PEM private key/);
  });

  it('joins a second node to the cluster, warns of a wrong Redis password and reconnects after Redis restarts, without a secret', { skip: redisSkip }, async () => {
    const second = join(dir, 'n2');
    const wrong = join(dir, 'n3');
    mkdirSync(second);
    mkdirSync(wrong);
    const secondPort = await freePort();
    // These two have the password in cluster.redis.password, the first in the URL.
    writeFileSync(join(second, 'config.json'), JSON.stringify(configDocument(secondPort, redis, 'n2', undefined, { key: S.redis })));
    writeFileSync(join(wrong, 'config.json'), JSON.stringify(configDocument(await freePort(), redis, 'n3', undefined, { key: S.wrong })));
    const n2 = startWorkers(second);
    const n3 = startWorkers(wrong);
    running.push(n2, n3);
    await n2.started(() => servingWorkers(n2) >= 2);
    const refusal = await n3.started((line) => line.msg.includes('refused this node\'s user name or password'));
    assert.match(String(refusal.redis_error), /^WRONGPASS/);

    await redis!.stop();
    await redis!.restart();
    // Both nodes log the loss and come back, each worker.
    for (const node of [junction, n2]) {
      await node.waitForLine((line) => line.msg.startsWith('lost the connection to Redis'), 30_000);
      await node.waitForLine((line) => line.msg.startsWith('Redis is back') && String(line.node).endsWith('w2'), 30_000);
    }
    assert.equal(await signIn(`ws://127.0.0.1:${secondPort}/ws`, 'ann', 'ticket', () => S.ticket, open), 2);
    await consoleAnswers(secondPort, 'the second node\'s console', ['junction.config.get', 'junction.node.stats'], open);
    assert.match(scan.textOf('the second node\'s console junction.config.get'), /"password":"\*\*\*\*\*"/);
    scan.saw('/metrics of the second node', (await httpText(`http://127.0.0.1:${secondPort}/metrics`)).body);
    scan.saw('/metrics of the first node', (await httpText(`http://127.0.0.1:${port}/metrics`)).body);
    for (const [name, node] of [['second', n2], ['wrong-password', n3]] as const) {
      scan.saw(`the log of the ${name} node`, node.lines.map((line) => JSON.stringify(line)).join('\n'));
      scan.saw(`the stderr of the ${name} node`, node.stderr);
    }
  });

  it('shows no secret in the parent\'s and the workers\' logs, nor anywhere else', async () => {
    await new Promise((resolve) => setTimeout(resolve, 500));
    scan.saw('the log (stdout)', junction.lines.map((line) => JSON.stringify(line)).join('\n'));
    scan.saw('stderr', junction.stderr);
    assert.deepEqual(scan.leaks(), []);
    // The scan saw the workers' lines, and the refusals in them.
    for (const worker of ['w1', 'w2']) assert.ok(junction.lines.some((line) => String(line.node ?? '').endsWith(worker)), `${worker} logged`);
    assert.ok(junction.lines.some((line) => line.msg === 'authentication failed'), 'the refusals were logged');
  });
});
