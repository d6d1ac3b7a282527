import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { connect, type Session } from '../../src/client/index.js';
import { rlinkLimitDefaults } from '../../src/config/schema-rlink.js';
import { linkDialer } from '../../src/node/rlink/dial.js';
import { freePort, projectRoot, runJunction, RunningJunction, type LogLine } from '../support/cli.js';
import { eventually, waitFor } from '../support/wait.js';

/**
 * Crossbar's SMP setup (crossbar-examples rlinks/smp_setup, as test/fixtures/crossbar-configs/
 * smp-realm-workers.json): eight router workers that each define realm1 on a Unix socket of their
 * own and link to each other. Through the CLI: one realm, so a client on edge1.sock and one on
 * edge5.sock see each other's events and calls, in one process and with --workers.
 */

const home = mkdtempSync(join(tmpdir(), 'junction-smp-'));
const running: RunningJunction[] = [];
const sessions: Session[] = [];
after(async () => {
  await Promise.all(sessions.map((session) => session.leave().catch(() => undefined)));
  running.forEach((junction) => junction.kill());
  await Promise.all(running.map((junction) => junction.waitForExit()));
  rmSync(home, { recursive: true, force: true });
});

interface Transport {
  type: string;
  endpoint: Record<string, unknown>;
}

/** The fixture in a fresh folder, its shared web port moved to a free loopback one. */
async function smpConfig(): Promise<{ path: string; dir: string; webPort: number }> {
  const dir = mkdtempSync(join(home, 'node-'));
  const webPort = await freePort();
  const file = JSON.parse(readFileSync(join(projectRoot, 'test', 'fixtures', 'crossbar-configs', 'smp-realm-workers.json'), 'utf8')) as { workers: { transports: Transport[] }[] };
  for (const transport of file.workers.flatMap((worker) => worker.transports)) {
    if (transport.type === 'web') Object.assign(transport.endpoint, { port: webPort, interface: '127.0.0.1' });
  }
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'config.json');
  writeFileSync(path, JSON.stringify(file));
  return { path, dir, webPort };
}

/** A session on realm1 over RawSocket (cbor, the only serializer the transports offer) on a worker's Unix socket. */
async function onSocket(dir: string, edge: number): Promise<Session> {
  const { factory } = linkDialer({ kind: 'rawsocket', endpoint: { kind: 'unix', path: join(dir, `edge${edge}.sock`), timeoutMs: 10_000 }, serializer: 'cbor' }, rlinkLimitDefaults, `edge${edge}.sock`);
  const session = await connect({ url: 'ws://localhost/', transport: factory, serializers: ['cbor'], realm: 'realm1', reconnect: false });
  sessions.push(session);
  return session;
}

/**
 * `a` and `b` see each other's events and calls, both ways. With --workers a subscription or a
 * registration reaches the other process a moment later: publish and call until it has (bounded).
 */
async function exchange(a: Session, b: Session, label: string): Promise<void> {
  for (const [from, to, name] of [[a, b, 'ab'], [b, a, 'ba']] as const) {
    const topic = `smp.${label}.${name}`;
    const got: unknown[] = [];
    await to.subscribe(topic, (args) => got.push(args[0]));
    await eventually(async () => {
      await from.publish(topic, [name], {}, { acknowledge: true });
      await waitFor(() => got.length > 0, `${label}: the event ${name}`, 500);
      return true;
    }, `${label}: the event ${name}`);
    assert.ok(got.every((value) => value === name), JSON.stringify(got));
    await to.register(`${topic}.echo`, (args) => `echo ${String(args[0])}`);
    assert.deepEqual((await eventually(() => from.call(`${topic}.echo`, [name]), `${label}: the call ${name}`)).args, [`echo ${name}`]);
  }
}

const listening = (junction: RunningJunction): LogLine[] => junction.lines.filter((line) => line.msg === 'listening');

describe('router workers that each define realm1, linked to each other (Crossbar\'s SMP setup), through the CLI', { timeout: 180_000 }, () => {
  it('check loads one realm and leaves out the links; start serves it on every worker\'s socket and the shared web port', async () => {
    const { path, dir, webPort } = await smpConfig();
    const checked = await runJunction(['check', '--config', path]);
    assert.equal(checked.code, 0, checked.stderr);
    assert.match(checked.stdout, /ok \(1 realm, 9 transports\)/);
    assert.match(checked.stdout, /workers\[0\]\.realms\[0\]\.rlinks: 56 router links of realm "realm1" lead to transports .* \[config\.notice\.rlinks_to_itself\]/);

    const junction = RunningJunction.start(['--config', path], dir);
    running.push(junction);
    await junction.started(() => listening(junction).length >= 9);
    assert.ok(!junction.lines.some((line) => line.msg === 'starting router link'), 'no router link is started');
    const [edge1, edge5] = [await onSocket(dir, 1), await onSocket(dir, 5)];
    await exchange(edge1, edge5, 'one');
    const web = await connect({ url: `ws://127.0.0.1:${webPort}/ws`, realm: 'realm1', reconnect: false });
    sessions.push(web);
    await exchange(edge1, web, 'web');
  });

  it('runs on several processes with --workers 2: clients of each worker still share the realm', async () => {
    const { path, dir } = await smpConfig();
    const junction = RunningJunction.start(['--config', path, '--workers', '2'], dir);
    running.push(junction);
    await waitFor(() => junction.lines.filter((line) => line.msg === 'worker serving').length >= 2, 'two workers serving', 60_000);
    const welcomed = new Set<unknown>();
    // The parent hands connections to the workers in turn: join until both have a session (bounded).
    const clients: Session[] = [];
    for (let attempt = 0; attempt < 8 && welcomed.size < 2; attempt++) {
      const session = await onSocket(dir, attempt % 2 === 0 ? 1 : 5);
      clients.push(session);
      welcomed.add(workerOf(session));
    }
    assert.equal(welcomed.size, 2, 'sessions on both workers');
    const first = clients[0]!;
    const other = clients.find((session) => workerOf(session) !== workerOf(first))!;
    await exchange(first, other, 'workers');
  });
});

/** Which worker process holds the session: its WELCOME names it with --workers. */
function workerOf(session: Session): unknown {
  return session.details.x_junction_node;
}
