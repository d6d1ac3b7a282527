import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import autobahn from 'autobahn';
import { openConnection } from '../support/autobahn.js';
import { freePort, projectRoot, runJunction, RunningJunction } from '../support/cli.js';
import { skipWithoutDebian } from '../support/debian.js';
import { RawClient } from '../support/raw-client.js';

/**
 * Crossbar's function authenticators ("type": "function"): a Crossbar-format config whose
 * wampcra and ticket methods name Python functions (test/fixtures/crossbar-configs/function-authenticators.*), run by
 * Junction's Python host; clients sign in over a WebSocket.
 */

const home = mkdtempSync(join(tmpdir(), 'junction-function-auth-'));
const running: RunningJunction[] = [];
after(() => {
  running.forEach((junction) => junction.kill());
  rmSync(home, { recursive: true, force: true });
});

const fixtures = join(projectRoot, 'test', 'fixtures', 'crossbar-configs');
const config = JSON.parse(readFileSync(join(fixtures, 'function-authenticators.json'), 'utf8')) as { workers: Record<string, unknown>[] };

/** The fixture as Crossbar runs it: config.json in .crossbar, the Python module in the folder above. */
function crossbarFolder(name: string, file: object): string {
  const folder = join(home, name);
  mkdirSync(join(folder, '.crossbar'), { recursive: true });
  copyFileSync(join(fixtures, 'function-authenticators.py'), join(folder, 'authenticators.py'));
  writeFileSync(join(folder, '.crossbar', 'config.json'), JSON.stringify(file));
  return join(folder, '.crossbar', 'config.json');
}

type Message = unknown[];

/** `from`: the client's own loopback address (refusals count against it in the sign-in throttle). */
async function helloAs(url: string, method: string, authid: string, answer: (challenge: Message) => string, from = '127.0.0.1'): Promise<Message> {
  const client = await RawClient.open(url, ['wamp.2.json'], { localAddress: from });
  try {
    client.send([1, 'realm1', { roles: { caller: {} }, authmethods: [method], authid }]);
    let message = await client.next();
    if (message[0] === 4) {
      client.send([5, answer(message), {}]);
      message = await client.next();
    }
    return message;
  } finally {
    client.close();
  }
}

/** The reason the router logged for refusing `authid` (clients get the generic refusal only). */
async function loggedRefusal(junction: RunningJunction, authid: string): Promise<string> {
  const line = await junction.waitForLine((entry) => entry.msg === 'authentication failed' && entry.authid === authid);
  return String(line.why);
}

const craAnswer = (secret: string) => (challenge: Message) =>
  autobahn.auth_cra.sign(secret, (challenge[2] as { challenge: string }).challenge) as string;

describe('function authenticators', { skip: skipWithoutDebian('python3'), timeout: 120_000 }, () => {
  let base = '';
  let junction: RunningJunction;
  before(async () => {
    const [router, ...others] = config.workers;
    // The router worker's environment reaches the hosts: Junction's own, inherited by default
    // (SERVICE_TOKEN, a secret by its name), and the variables of options.env.
    const options = { ...(router!.options as object), env: { vars: { SERVICE_ROLE: 'frontend' } } };
    const path = crossbarFolder('app', { ...config, workers: [{ ...router, options }, ...others] });
    const port = await freePort();
    process.env.SERVICE_TOKEN = 'svc-t0ken-from-env';
    junction = RunningJunction.start(['--config', path, '--host', '127.0.0.1', '--port', String(port)]);
    delete process.env.SERVICE_TOKEN;
    running.push(junction);
    await junction.url();
    // Both hosts have registered their authenticators.
    for (const create of ['create_wampcra', 'create_ticket']) {
      await junction.started((line) => String(line.stderr ?? '').includes(`function authenticator authenticators.${create} ready`));
    }
    base = `ws://127.0.0.1:${port}`;
  });

  it('wampcra: a user the function returns signs in with its secret, with provider function', async () => {
    const welcome = await helloAs(`${base}/cra`, 'wampcra', 'joe', craAnswer('secret2'));
    assert.equal(welcome[0], 2, JSON.stringify(welcome));
    assert.equal((welcome[2] as { authrole: string }).authrole, 'frontend');
    assert.equal((welcome[2] as { authid: string }).authid, 'joe');
    assert.equal((welcome[2] as { authprovider: string }).authprovider, 'function');
  });

  it('AutobahnJS signs in with wampcra as a Crossbar client does, and may call as its role', async () => {
    const { session, details, close } = await openConnection({
      url: `${base}/cra`, realm: 'realm1', authmethods: ['wampcra'], authid: 'joe',
      onchallenge: (_session: unknown, _method: string, extra: { challenge: string }) => autobahn.auth_cra.sign('secret2', extra.challenge),
    }, (reason, closeDetails) => new Error(`refused: ${reason} ${JSON.stringify(closeDetails)}`));
    try {
      assert.equal((details as { authrole: string }).authrole, 'frontend');
      assert.equal((details as { authprovider: string }).authprovider, 'function');
      await session.register('com.example.add2', ([a, b]: number[]) => a! + b!);
      assert.equal(await session.call('com.example.add2', [2, 3]), 5);
    } finally {
      await close();
    }
  });

  it('the secrets of config are masked in what the Python code prints', async () => {
    const printed = await junction.waitForLine((line) => String(line.stderr ?? '').startsWith('create_wampcra(config='));
    assert.match(String(printed.stderr), /'secret': '\*\*\*\*\*'/);
    assert.ok(!junction.lines.some((line) => JSON.stringify(line).includes('secret2')), 'a secret reached the log');
  });

  it('wampcra: a wrong secret is refused', async () => {
    const abort = await helloAs(`${base}/cra`, 'wampcra', 'joe', craAnswer('not-it'));
    assert.equal(abort[0], 3, JSON.stringify(abort));
  });

  it('wampcra: an ApplicationError-like exception refuses with its message', async () => {
    const abort = await helloAs(`${base}/cra`, 'wampcra', 'nobody', craAnswer('x'));
    assert.equal(abort[0], 3, JSON.stringify(abort));
    assert.match(await loggedRefusal(junction, 'nobody'), /no such user nobody/);
  });

  it('ticket: the right ticket signs in with the role string the function returns', async () => {
    const welcome = await helloAs(`${base}/ticket`, 'ticket', 'peter', () => 'magic');
    assert.equal(welcome[0], 2, JSON.stringify(welcome));
    assert.equal((welcome[2] as { authrole: string }).authrole, 'frontend');
  });

  it("ticket: the function reads the router's environment as options.env makes it, its secret masked in the log", async () => {
    const welcome = await helloAs(`${base}/ticket`, 'ticket', 'service', () => 'svc-t0ken-from-env');
    assert.equal(welcome[0], 2, JSON.stringify(welcome));
    assert.equal((welcome[2] as { authrole: string }).authrole, 'frontend');
    const printed = await junction.waitForLine((line) => String(line.stderr ?? '').startsWith('create_ticket: service ticket'));
    assert.match(String(printed.stderr), /service ticket \*\*\*\*\* from the environment/);
    assert.ok(!junction.lines.some((line) => JSON.stringify(line).includes('svc-t0ken-from-env')), 'the secret reached the log');
  });

  it('ticket: a wrong ticket is refused', async () => {
    const abort = await helloAs(`${base}/ticket`, 'ticket', 'peter', () => 'guess');
    assert.equal(abort[0], 3, JSON.stringify(abort));
    assert.match(await loggedRefusal(junction, 'peter'), /wrong ticket for peter/);
  });

  it('an authenticator that raises refuses the sign-in, and the host keeps serving', async () => {
    const abort = await helloAs(`${base}/ticket`, 'ticket', 'boom', () => 'x');
    assert.equal(abort[0], 3, JSON.stringify(abort));
    assert.match(await loggedRefusal(junction, 'boom'), /RuntimeError: the user database is down/);
    const welcome = await helloAs(`${base}/ticket`, 'ticket', 'peter', () => 'magic');
    assert.equal(welcome[0], 2, JSON.stringify(welcome));
  });

  it('a fired Deferred is its result; one waiting on the Twisted reactor refuses, saying why', async () => {
    const welcome = await helloAs(`${base}/ticket`, 'ticket', 'fired', () => 'x');
    assert.equal(welcome[0], 2, JSON.stringify(welcome));
    assert.equal((welcome[2] as { authrole: string }).authrole, 'frontend');
    const abort = await helloAs(`${base}/ticket`, 'ticket', 'waiting', () => 'x');
    assert.equal(abort[0], 3, JSON.stringify(abort));
    assert.match(await loggedRefusal(junction, 'waiting'), /a Deferred that waits on the Twisted reactor.*coroutine/);
  });

  it('an authenticator that returns a bad value refuses the sign-in (NaN or too long, at once, saying why: the line was unreadable and the sign-in waited for its timeout)', async () => {
    for (const authid of ['weird', 'unjsonable', 'nan', 'huge']) {
      // From an address of their own: so many refusals would slow the other tests' sign-ins down.
      const abort = await helloAs(`${base}/cra`, 'wampcra', authid, craAnswer('x'), '127.0.0.3');
      assert.equal(abort[0], 3, `${authid}: ${JSON.stringify(abort)}`);
    }
    assert.match(await loggedRefusal(junction, 'weird'), /42|principal|role/);
    assert.match(await loggedRefusal(junction, 'unjsonable'), /not JSON/);
    assert.match(await loggedRefusal(junction, 'nan'), /not JSON: Out of range float values/);
    assert.match(await loggedRefusal(junction, 'huge'), /returned \d+ bytes of JSON, more than the router reads \(65536\)/);
  });

  it('a module that cannot be imported refuses sign-ins, and the log says why', async () => {
    await junction.waitForLine((line) => String(line.stderr ?? '').includes('cannot import module "no_such_module"'), 30_000);
    const abort = await helloAs(`${base}/broken`, 'ticket', 'paul', () => 'magic');
    assert.equal(abort[0], 3, JSON.stringify(abort));
    assert.match(await loggedRefusal(junction, 'paul'), /the function authenticator "no_such_module.create" failed/);
  });

  it('a client cannot call the private authenticator procedure', async () => {
    const client = await RawClient.open(`${base}/ticket`, ['wamp.2.json']);
    try {
      client.send([1, 'realm1', { roles: { caller: {} }, authmethods: ['ticket'], authid: 'peter' }]);
      assert.equal((await client.next())[0], 4);
      client.send([5, 'magic', {}]);
      assert.equal((await client.next())[0], 2);
      client.send([48, 1, {}, 'wamp.junction.private.authenticator.0123456789abcdef', ['realm1', 'joe', {}]]);
      const error = await client.next();
      assert.equal(error[0], 8, JSON.stringify(error));
      assert.equal(error[4], 'wamp.error.invalid_uri');
    } finally {
      client.close();
    }
  });
});

describe('function authenticators without their Python', { timeout: 120_000 }, () => {
  it('junction start refuses to start, naming the interpreter', async () => {
    const [router] = config.workers;
    const path = crossbarFolder('no-python', { ...config, workers: [{ ...router, options: { ...(router!.options as object), python: '/nonexistent/python3' } }] });
    const result = await runJunction(['start', '--config', path, '--host', '127.0.0.1', '--port', String(await freePort())]);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /cannot start: component "authenticator:authenticators\.create_wampcra:[0-9a-f]{8}": program "\/nonexistent\/python3" does not exist/);
  });
});
