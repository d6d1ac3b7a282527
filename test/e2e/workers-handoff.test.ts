import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { connect as connectTcp, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { connect as connectTls } from 'node:tls';
import WebSocket from 'ws';
import { accepts, freePort, RunningJunction } from '../support/cli.js';
import { whileStopped, type OwnedProcess } from '../support/owned-process.js';
import { connectMqtt } from '../support/mqtt.js';
import { selfSignedCertificate, skipTls, TestCertificates } from '../support/tls.js';
import { waitFor } from '../support/wait.js';

/**
 * `--workers`: the parent binds the ports and hands each connection to the worker with the
 * fewest open ones; a connection a worker did not take before it died goes to another one.
 */

const running: RunningJunction[] = [];
const sockets: { close(): void }[] = [];
const dir = mkdtempSync(join(tmpdir(), 'junction-handoff-'));
after(() => {
  sockets.forEach((socket) => socket.close());
  running.forEach((junction) => junction.kill());
  rmSync(dir, { recursive: true, force: true });
});

/** A join with no answer by then counts as unanswered. */
const answerWithinMs = 10_000;

/** Joins realm1 over WebSocket; resolves to `welcome wN` (the session stays open), or how it ended otherwise. */
function wsJoin(url: string, options: WebSocket.ClientOptions = {}): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, 'wamp.2.json', options);
    sockets.push({ close: () => ws.terminate() });
    const timer = setTimeout(() => end('unanswered'), answerWithinMs);
    const end = (outcome: string): void => {
      clearTimeout(timer);
      resolve(outcome);
    };
    ws.on('error', (error: NodeJS.ErrnoException) => end(`refused ${error.code ?? error.message}`));
    ws.on('close', () => end('closed'));
    ws.on('open', () => ws.send(JSON.stringify([1, 'realm1', { roles: { subscriber: {} } }])));
    ws.once('message', (data: Buffer) => {
      const [type, , details] = JSON.parse(data.toString()) as [number, unknown, { x_junction_node?: string }];
      end(type === 2 ? `welcome ${details.x_junction_node}` : `message ${type}`);
    });
  });
}

/** Joins realm1 over RawSocket (JSON) on `socket`; resolves to `welcome wN` (the connection stays open). */
function rawSocketJoin(socket: Socket): Promise<string> {
  return rawSocketHello(socket, {}).then(([type, , details]) => (type === 2 ? `welcome ${(details as { x_junction_node?: string }).x_junction_node}` : `message ${type}`));
}

/** Sends HELLO (with `details` beside the roles) over a RawSocket JSON connection; resolves to the router's first message. */
function rawSocketHello(socket: Socket, details: Record<string, unknown>): Promise<unknown[]> {
  sockets.push({ close: () => socket.destroy() });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('RawSocket join unanswered')), answerWithinMs);
    let received = Buffer.alloc(0);
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      // 4 octets of handshake answer, then one frame: a type octet and a 3-octet length.
      if (received.length < 8) return;
      const length = received.readUIntBE(5, 3);
      if (received.length < 8 + length) return;
      clearTimeout(timer);
      resolve(JSON.parse(received.subarray(8, 8 + length).toString()) as unknown[]);
    });
    const hello = Buffer.from(JSON.stringify([1, 'realm1', { roles: { subscriber: {} }, ...details }]));
    const header = Buffer.alloc(4);
    header.writeUIntBE(hello.length, 1, 3);
    // 0x7F, then "up to 2^24 octets, JSON"; then the HELLO frame (type 0).
    socket.write(Buffer.concat([Buffer.from([0x7f, 0xf1, 0, 0]), header, hello]));
  });
}

const tally = (outcomes: string[]): Record<string, number> =>
  outcomes.reduce<Record<string, number>>((counts, outcome) => ({ ...counts, [outcome]: (counts[outcome] ?? 0) + 1 }), {});

/** Starts the CLI with `args` and waits until `count` workers serve; resolves to it and each worker by node name (w1, w2...). */
async function startWorkers(args: string[], count: number): Promise<{ junction: RunningJunction; workers: Map<string, OwnedProcess> }> {
  const junction = RunningJunction.start([...args, '--workers', String(count)]);
  running.push(junction);
  return { junction, workers: await junction.workers(count) };
}

/** The URL a listening line of worker w1 gives for `service` on transport `transport`. */
async function servedUrl(junction: RunningJunction, service: string, transport?: string): Promise<string> {
  const line = await junction.started((entry) => entry.msg === 'listening' && entry.node === 'w1' && entry.service === service
    && (transport === undefined || String(entry.url).includes(transport)));
  return String(line.url);
}

/**
 * Writes a config of a WebSocket transport on `ports.web`, and a RawSocket one on `ports.raw` if
 * `withRawSocket`. Whole or not at all (a rename): a worker starting may read it meanwhile.
 */
function writeReloadConfig(path: string, ports: { web: number; raw: number }, withRawSocket: boolean): void {
  writeFileSync(`${path}.new`, JSON.stringify({
    version: 2,
    workers: [{
      type: 'router',
      realms: [{ name: 'realm1', roles: [{ name: 'anonymous', permissions: [{ uri: '', match: 'prefix', allow: { subscribe: true } }] }] }],
      transports: [
        { type: 'websocket', id: 'web', endpoint: { type: 'tcp', port: ports.web, interface: '127.0.0.1' } },
        ...(withRawSocket ? [{ type: 'rawsocket', id: 'raw', endpoint: { type: 'tcp', port: ports.raw, interface: '127.0.0.1' } }] : []),
      ],
    }],
  }));
  renameSync(`${path}.new`, path);
}

/** Four RawSocket joins on `port`: each worker must welcome two. */
async function rawSocketJoinsSpread(port: number): Promise<void> {
  const outcomes: string[] = [];
  for (let index = 0; index < 4; index++) outcomes.push(await rawSocketJoin(connectTcp({ host: '127.0.0.1', port })));
  assert.deepEqual(tally(outcomes), { 'welcome w1': 2, 'welcome w2': 2 });
}

async function stopped(junction: RunningJunction): Promise<void> {
  junction.child.kill('SIGTERM');
  assert.equal(await junction.waitForExit(), 0);
}

describe('junction start --workers: the parent hands out the connections', () => {
  it('spreads joins over the workers evenly: 100 at once, and 20 one after another', async () => {
    const { junction } = await startWorkers(['--host', '127.0.0.1', '--port', '0'], 2);
    const url = await servedUrl(junction, 'websocket');
    const together = tally(await Promise.all(Array.from({ length: 100 }, () => wsJoin(url))));
    assert.ok((together['welcome w1'] ?? 0) >= 35 && (together['welcome w2'] ?? 0) >= 35, `100 joins at once: ${JSON.stringify(together)}`);
    const oneByOne: string[] = [];
    for (let index = 0; index < 20; index++) oneByOne.push(await wsJoin(url));
    const sequential = tally(oneByOne);
    assert.ok((sequential['welcome w1'] ?? 0) >= 7 && (sequential['welcome w2'] ?? 0) >= 7, `20 joins one after another: ${JSON.stringify(sequential)}`);
    await stopped(junction);
  });

  it('gives the connections a worker had not taken when it was killed to the other worker: none is left unanswered', async () => {
    const { junction, workers } = await startWorkers(['--host', '127.0.0.1', '--port', '0'], 2);
    const url = await servedUrl(junction, 'websocket');
    const w2 = workers.get('w2')!;
    const outcomes: string[] = [];
    // w2 stopped: the connections handed to it wait for its answer, which never comes.
    const { joins, beforeKill } = await whileStopped([w2], async () => {
      const joins = Array.from({ length: 10 }, () => wsJoin(url).then((outcome) => void outcomes.push(outcome)));
      await waitFor(() => outcomes.length > 0, 'w1 welcomed a join', 10_000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const beforeKill = outcomes.length;
      w2.signal('SIGKILL');
      return { joins, beforeKill };
    });
    await Promise.all(joins);
    assert.ok(beforeKill < 10, `some joins waited for the stopped worker (${beforeKill} of 10 answered before the kill)`);
    assert.deepEqual(tally(outcomes), { 'welcome w1': 10 }, 'every join is welcomed by the worker left');
    await junction.started((line) => line.msg === 'worker serving' && line.node === 'w2' && Number(line.pid) !== w2.pid);
    await stopped(junction);
  });

  it('holds at most --handoff-queue connections that no worker took; past it closes new ones at once and counts them', async () => {
    const { junction, workers } = await startWorkers(['--host', '127.0.0.1', '--port', '0', '--handoff-queue', '2'], 2);
    const url = await servedUrl(junction, 'websocket');
    const metricsUrl = url.replace(/^ws/, 'http').replace(/\/ws$/, '/metrics');
    const held = await whileStopped([...workers.values()], async () => {
      const held = [wsJoin(url), wsJoin(url)];
      await new Promise((resolve) => setTimeout(resolve, 300));
      const refused = await Promise.all([wsJoin(url), wsJoin(url)]);
      for (const outcome of refused) assert.match(outcome, /^(refused ECONNRESET|closed)$/, 'past the bound a connection is closed at once');
      return held;
    });
    assert.deepEqual(tally(await Promise.all(held)), { 'welcome w1': 1, 'welcome w2': 1 }, 'the connections held are taken once the workers run again');
    await junction.waitForLine((line) => String(line.msg).startsWith('the workers are not taking their connections: new connections are closed until they catch up'));
    // The parent tells the workers its counts every second: the refusals and the emptied queue
    // can arrive in different reports, so wait for both.
    const counted = /junction_workers_connections_refused_total\{reason="queue_full"\} 2\b/;
    const emptied = /junction_workers_connections_awaiting 0\b/;
    let metrics = '';
    for (let attempt = 0; attempt < 50 && !(counted.test(metrics) && emptied.test(metrics)); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      metrics = await (await fetch(metricsUrl)).text();
    }
    assert.match(metrics, counted);
    assert.match(metrics, emptied);
    await stopped(junction);
  });

  it('binds a transport a reload adds for every worker, and frees its port once the reload removed it from every worker', async () => {
    const ports = { web: await freePort(), raw: await freePort() };
    const config = join(dir, 'reload.json');
    const write = (withRawSocket: boolean): void => writeReloadConfig(config, ports, withRawSocket);
    write(false);
    const { junction } = await startWorkers(['--config', config], 2);
    assert.equal(await accepts(ports.raw), false);
    write(true);
    junction.child.kill('SIGHUP');
    /** A wait that fails says what the processes logged last: this test once timed out under a fully loaded CI run only. */
    const explained = (waiting: Promise<void>): Promise<void> => waiting.catch((error: Error) => {
      const last = junction.lines.slice(-40).map((line) => JSON.stringify(line)).join('\n');
      throw new Error(`${error.message}; the last lines logged:\n${last}`);
    });
    /** Workers whose reload says it applied `change`. */
    const applied = (change: string): number => junction.lines.filter((line) => Array.isArray(line.applied)
      && (line.applied as string[]).some((text) => text.startsWith(change))).length;
    await explained(waitFor(() => applied('transport "raw" added') === 2, 'both workers added the transport', 15_000));
    await rawSocketJoinsSpread(ports.raw);
    write(false);
    junction.child.kill('SIGHUP');
    await explained(waitFor(() => applied('transport "raw" closed (removed)') === 2, 'both workers removed the transport', 15_000));
    let open = true;
    for (let attempt = 0; attempt < 50 && open; attempt++) {
      open = await accepts(ports.raw);
      if (open) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(open, false, 'the port is closed once no worker serves it');
    await stopped(junction);
  });

  it('survives a reload asked for while the workers start: each worker reloads once it serves, and serves the transport the reload adds', async () => {
    const ports = { web: await freePort(), raw: await freePort() };
    const config = join(dir, 'reload-while-starting.json');
    writeReloadConfig(config, ports, false);
    const junction = RunningJunction.start(['--config', config, '--workers', '2']);
    running.push(junction);
    // Said just before the workers are forked: they are still loading when the signal comes (a
    // worker killed by it before it serves would stop them all).
    await junction.started((line) => line.msg === 'starting workers');
    writeReloadConfig(config, ports, true);
    junction.child.kill('SIGHUP');
    for (const node of ['w1', 'w2']) {
      // A worker that read the file before it changed adds the transport now; one that read it after finds it unchanged.
      await junction.waitForLine((line) => line.node === node && (line.msg === 'reload: the configuration is unchanged'
        || (Array.isArray(line.applied) && (line.applied as string[]).some((text) => text.startsWith('transport "raw" added')))), 30_000);
    }
    assert.ok(!junction.lines.some((line) => line.msg.startsWith('worker died') || line.msg.startsWith('worker exited')), 'no worker died');
    await rawSocketJoinsSpread(ports.raw);
    await stopped(junction);
  });

  it('refuses a --handoff-queue that is not a positive number of connections', async () => {
    const junction = RunningJunction.start(['--workers', '2', '--handoff-queue', '0']);
    running.push(junction);
    assert.equal(await junction.waitForExit(), 2);
    assert.match(junction.stderr, /--handoff-queue must be a positive number of connections, got "0"/);
  });

  it('hands connections of TLS WebSocket, RawSocket (TCP, TLS, Unix socket), universal and MQTT listeners to both workers', { skip: skipTls }, async () => {
    const tls = selfSignedCertificate(dir)!;
    const unixPath = join(dir, 'wamp.sock');
    const tcp = { type: 'tcp', port: 0, interface: '127.0.0.1' };
    const config = join(dir, 'listeners.json');
    writeFileSync(config, JSON.stringify({
      version: 2,
      workers: [{
        type: 'router',
        realms: [{ name: 'realm1', roles: [{ name: 'anonymous', permissions: [{ uri: '', match: 'prefix', allow: { publish: true, subscribe: true, call: true, register: true } }] }] }],
        transports: [
          { type: 'websocket', id: 'secure_ws', endpoint: { ...tcp, tls } },
          { type: 'rawsocket', id: 'raw', endpoint: tcp },
          { type: 'rawsocket', id: 'secure_raw', endpoint: { ...tcp, tls } },
          { type: 'rawsocket', id: 'unix', endpoint: { type: 'unix', path: unixPath } },
          { type: 'universal', id: 'universal', endpoint: tcp, rawsocket: {}, websocket: { ws: { type: 'websocket' } } },
          { type: 'mqtt', id: 'mqtt', endpoint: tcp, options: { realm: 'realm1' } },
        ],
      }],
    }));
    const { junction } = await startWorkers(['--config', config], 2);
    const wss = await servedUrl(junction, 'websocket', 'wss://');
    const rawsocketPort = async (scheme: string, nth = 0): Promise<number> => {
      const urls = junction.lines.filter((line) => line.msg === 'listening' && line.node === 'w1' && String(line.url).startsWith(`${scheme}://127.0.0.1:`));
      return Number(new URL(String(urls[nth]!.url).replace(/^\w+:/, 'http:')).port);
    };
    await servedUrl(junction, 'mqtt');
    const rs = await rawsocketPort('rs', 0);
    const universalRs = await rawsocketPort('rs', 1);
    const rss = await rawsocketPort('rss');
    const universalWs = (await junction.started((line) => line.msg === 'listening' && line.node === 'w1' && String(line.url).endsWith('/ws'))).url;
    const mqttPort = Number(new URL(String((await junction.started((line) => line.msg === 'listening' && line.service === 'mqtt')).url).replace(/^\w+:/, 'http:')).port);

    const kinds: Record<string, () => Promise<string>> = {
      'websocket over TLS': () => wsJoin(wss, { rejectUnauthorized: false }),
      'rawsocket': () => rawSocketJoin(connectTcp({ host: '127.0.0.1', port: rs })),
      'rawsocket over TLS': () => rawSocketJoin(connectTls({ host: '127.0.0.1', port: rss, rejectUnauthorized: false })),
      'rawsocket on a Unix socket': () => rawSocketJoin(connectTcp({ path: unixPath })),
      'universal: rawsocket': () => rawSocketJoin(connectTcp({ host: '127.0.0.1', port: universalRs })),
      'universal: websocket': () => wsJoin(String(universalWs)),
    };
    for (const [kind, join] of Object.entries(kinds)) {
      const outcomes: string[] = [];
      for (let index = 0; index < 4; index++) outcomes.push(await join());
      assert.deepEqual(tally(outcomes), { 'welcome w1': 2, 'welcome w2': 2 }, `${kind}: ${JSON.stringify(outcomes)}`);
    }
    for (let index = 0; index < 4; index++) {
      const client = await connectMqtt(mqttPort);
      sockets.push({ close: () => void client.client.end(true) });
    }
    await stopped(junction);
  });

  it('signs RawSocket clients in by TLS client certificate on both workers', { skip: skipTls }, async () => {
    const certificates = new TestCertificates(mkdtempSync(join(dir, 'certificates-')));
    certificates.authority('ca', 'devices ca');
    certificates.server('server', 'ca');
    certificates.issue('device', '/CN=device-7', 'ca');
    const config = join(dir, 'tls-auth.json');
    writeFileSync(config, JSON.stringify({
      version: 2,
      workers: [{
        type: 'router',
        realms: [{ name: 'realm1', roles: [{ name: 'device', permissions: [{ uri: '', match: 'prefix', allow: { subscribe: true } }] }] }],
        transports: [{
          type: 'rawsocket', id: 'secure_raw',
          endpoint: { type: 'tcp', port: 0, interface: '127.0.0.1', tls: { key: certificates.file('server.key'), certificate: certificates.file('server.crt'), ca_certificates: [certificates.file('ca.crt')] } },
          auth: { tls: { type: 'static', principals: { 'device-7': { role: 'device' } } } },
        }],
      }],
    }));
    const { junction } = await startWorkers(['--config', config], 2);
    const line = await junction.started((entry) => entry.msg === 'listening' && entry.node === 'w1' && String(entry.url).startsWith('rss://'));
    const port = Number(new URL(String(line.url).replace(/^\w+:/, 'http:')).port);
    const hello = (client: string | undefined) => rawSocketHello(connectTls({ host: '127.0.0.1', port, ...certificates.clientOptions(client, 'ca') }), { authmethods: ['tls'] });
    const outcomes: string[] = [];
    for (let index = 0; index < 4; index++) {
      const [type, , details] = await hello('device') as [number, unknown, Record<string, unknown>];
      assert.equal(type, 2, 'WELCOME');
      assert.deepEqual([details.authid, details.authrole, details.authmethod], ['device-7', 'device', 'tls']);
      outcomes.push(`welcome ${details.x_junction_node}`);
    }
    assert.deepEqual(tally(outcomes), { 'welcome w1': 2, 'welcome w2': 2 }, JSON.stringify(outcomes));
    assert.deepEqual(await hello(undefined), [3, { message: 'the client did not send a TLS client certificate' }, 'wamp.error.not_authorized']);
    await stopped(junction);
  });
});
