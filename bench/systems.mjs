import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expectMessage, forkBench, sendTo, spawnTracked, stopChild, terminateChild } from './lib/children.mjs';
import { processTree } from './lib/cpu.mjs';
import { freePort, retryUntil } from './lib/net.mjs';
import { now, withTimeout } from './lib/clock.mjs';
import { TIME_SCALE } from './lib/time-scale.mjs';
import { connectWamp } from './clients/wamp-client.mjs';
import { connectWampRawSocket } from './clients/rawsocket-client.mjs';
import { httpPublisherTarget } from './clients/http-publisher.mjs';
import { connectMqtt } from './clients/mqtt-client.mjs';
import { mosquittoMissing, startMosquitto } from './servers/mosquitto.mjs';

/**
 * The systems under test, each started in its own process. A system is a server plus the way the
 * load generators reach it: which client (clients/index.mjs) each role uses.
 *
 *   relay               the floor: a plain ws relay (servers/relay-server.mjs), same serializer as Junction
 *   socketio            Socket.IO 4 (servers/socketio-server.mjs), its own JSON encoding
 *   junction            the router through its real CLI (writeJunctionConfig); every client on WebSocket
 *   junction-ticket     the same router; connect workload only: joins on /wsauth signed in with a ticket
 *   junction-wampcra    the same router; connect workload only: joins on /wsauth signed in with WAMP-CRA
 *   junction-rawsocket  the same router; subscribers and callers on RawSocket, the publisher and the
 *                       callee on WebSocket
 *   junction-sse        subscribers are Server-Sent Events streams (/sse), the publisher WAMP on WebSocket
 *   junction-http       the publisher POSTs to the HTTP publisher (/publish), subscribers on WebSocket
 *   junction-longpoll   subscribers and callers on WAMP over HTTP long-poll (/lp, batched JSON),
 *                       the publisher and the callee on WebSocket
 *   relay-corked        not run by default: the relay with writes coalesced per event-loop turn, to show
 *                       what write batching would be worth
 *   relay-framed        not run by default: the corked relay that also frames each message once and
 *                       writes the same bytes to every socket: the floor for fan-out
 *   relay-http          not run by default: relay-framed whose publisher POSTs to a plain Node HTTP
 *                       server on its port (servers/http-publish-floor.mjs): the HTTP publisher's floor
 *   relay-http-raw      not run by default: relay-http with the POSTs answered over node:net by a minimal
 *                       request reader (servers/http-publish-raw.mjs), without node:http: the raw floor
 *   junction-workers    not run by default: the same router started with --workers 2 (one port; the
 *                       parent hands each connection to the worker with the fewest open)
 *   junction-baseline   not run by default: another build of Junction (--baseline DIR, e.g. a
 *                       `git archive` of an earlier commit, built) with every client on WebSocket,
 *                       so a change is measured before/after in one run
 *   junction-baseline-http  not run by default: that build with the HTTP publisher (publish only)
 *   junction-baseline-sse   not run by default: that build with SSE subscribers (fanout, publish)
 *   junction-baseline-workers  not run by default: that build with --workers 2
 *   junction-mqtt       not run by default: the same router with an MQTT listener (docs/mqtt.md) on its
 *                       own port; every client MQTT 3.1.1 (clients/mqtt-client.mjs), and for the
 *                       mqtt-from-wamp workload a WAMP publisher on WebSocket
 *   junction-baseline-mqtt  not run by default: the --baseline build, the same way
 *   mosquitto           not run by default: Debian's mosquitto broker (servers/mosquitto.mjs), the same
 *                       MQTT clients; skipped with a message where the binary is missing
 *
 * startSystem resolves to { name, url, pid, clients: { role: target }, stop() } once the server
 * accepts clients (and `pids()`, every process of the server, where it has more than one);
 * targetFor(server, role, options) is what a load generator connects with.
 * A Junction system also has `http` (its web transport's base URL), with options.probe
 * `probe()`: the router's memory and handles (lib/router-probe.mjs, preloaded into it), and with
 * options.routerLogFile `logFile` (where its stdout and stderr go) and `startedAt` (epoch ms at
 * its spawn, the zero of its GC trace's clock give or take node's start-up), and with
 * options.everyDoor `doors`: the target of each door but WebSocket (rawsocket, longpoll, sse, mqtt, http,
 * pusher, wamp1) for bench/soak.mjs.
 */

// The workloads of workloads/index.mjs each kind of system takes part in.
const TRANSPORT_WORKLOADS = ['fanout', 'rpc', 'publish'];
const LATENCY_WORKLOADS = ['fanout-latency', 'rpc-latency'];
const USER_WORKLOADS = ['chat-32', 'chat-256', 'many-topics', 'events-64k', 'events-1m', 'calls-64k', 'calls-1m'];
const ALL_WORKLOADS = [...TRANSPORT_WORKLOADS, ...LATENCY_WORKLOADS, ...USER_WORKLOADS];
// MQTT clients only; mqtt-from-wamp also has a WAMP publisher, so Junction only.
const MQTT_WORKLOADS = ['mqtt-fanout', 'mqtt-fanout-qos1', 'mqtt-inbound', 'mqtt-retained'];
const MQTT_CROSS_WORKLOADS = ['mqtt-from-wamp'];

// junction-workers: router processes behind one port (the parent accepts, the workers serve).
const WORKER_PROCESSES = 2;
const JOIN_TIMEOUT_MS = 5_000;

const TABLE = {
  relay: { workloads: [...ALL_WORKLOADS, 'connect'], about: 'plain ws relay, every client on WebSocket (connect: raw WebSocket handshakes)' },
  socketio: { workloads: [...ALL_WORKLOADS, 'connect'], about: 'Socket.IO 4, every client on WebSocket' },
  junction: { workloads: [...ALL_WORKLOADS, 'connect'], about: 'every client WAMP on WebSocket (connect: anonymous joins)' },
  'junction-ticket': { workloads: ['connect'], about: 'WAMP joins on WebSocket signed in with a ticket (static principal)' },
  'junction-wampcra': { workloads: ['connect'], about: 'WAMP joins on WebSocket signed in with WAMP-CRA (static user, unsalted secret)' },
  'junction-rawsocket': { workloads: TRANSPORT_WORKLOADS, about: 'subscribers and callers on RawSocket (TCP); publisher and callee on WebSocket' },
  'junction-sse': { workloads: ['fanout', 'publish'], about: 'subscribers are SSE streams (HTTP/1.1 text/event-stream); publisher on WebSocket' },
  'junction-http': { workloads: ['publish'], about: 'publisher POSTs to /publish (undici Pool, keep-alive); subscribers on WebSocket' },
  // Not publish: its unthrottled publisher would pass the long-poll queue limit (100 messages).
  'junction-longpoll': { workloads: ['fanout', 'rpc'], about: 'subscribers and callers on HTTP long-poll (batched JSON); publisher and callee on WebSocket' },
  'relay-corked': { workloads: ALL_WORKLOADS, about: 'the relay with writes coalesced per event-loop turn' },
  'relay-framed': { workloads: ALL_WORKLOADS, about: 'the corked relay framing each message once (ws Sender.frame), same bytes written to every socket' },
  'relay-http': { workloads: ['publish'], about: 'relay-framed; publisher POSTs to a plain Node HTTP server on its port (undici Pool, keep-alive)' },
  'relay-http-raw': { workloads: ['publish'], about: 'relay-http with the POSTs read and answered over node:net, without node:http (undici Pool, keep-alive)' },
  'junction-workers': { workloads: [...ALL_WORKLOADS, 'connect'], about: `junction start --workers ${WORKER_PROCESSES}, every client WAMP on WebSocket (server CPU: the parent and its workers)` },
  'junction-baseline': { workloads: [...ALL_WORKLOADS, 'connect'], about: 'the Junction build in --baseline DIR, every client WAMP on WebSocket' },
  'junction-baseline-http': { workloads: ['publish'], about: 'the Junction build in --baseline DIR; publisher POSTs to /publish, subscribers on WebSocket' },
  'junction-baseline-sse': { workloads: ['fanout', 'publish'], about: 'the Junction build in --baseline DIR; subscribers are SSE streams, publisher on WebSocket' },
  'junction-baseline-workers': { workloads: [...ALL_WORKLOADS, 'connect'], about: `the Junction build in --baseline DIR with --workers ${WORKER_PROCESSES}, every client WAMP on WebSocket` },
  'junction-mqtt': { workloads: [...MQTT_WORKLOADS, ...MQTT_CROSS_WORKLOADS], about: 'Junction\'s MQTT listener, every client MQTT 3.1.1 over TCP (mqtt-from-wamp: the publisher WAMP on WebSocket)' },
  'junction-baseline-mqtt': { workloads: [...MQTT_WORKLOADS, ...MQTT_CROSS_WORKLOADS], about: 'the Junction build in --baseline DIR, its MQTT listener, the same clients as junction-mqtt' },
  mosquitto: { workloads: MQTT_WORKLOADS, about: 'Debian\'s mosquitto broker (C, one thread), every client MQTT 3.1.1 over TCP' },
};

export const SYSTEMS = Object.keys(TABLE);
export const DEFAULT_SYSTEMS = ['relay', 'socketio', 'junction', 'junction-ticket', 'junction-wampcra', 'junction-rawsocket', 'junction-sse', 'junction-http'];

/** Whether `system` takes part in `workload` (an SSE stream cannot call; HTTP only publishes). */
export function runsWorkload(system, workload) {
  return TABLE[system]?.workloads.includes(workload) ?? false;
}

/** Why `system` cannot run on this machine (a missing binary), or null. */
export function unavailable(system) {
  return system === 'mosquitto' ? mosquittoMissing() : null;
}

/** One line on how the load generators reach `system`. */
export function describeSystem(system) {
  return TABLE[system]?.about ?? '';
}

/** What a load generator of `role` (publisher, subscriber, callee, caller, connector) connects with. */
export function targetFor(server, role, options) {
  const target = server.clients[role];
  if (!target) throw new Error(`${server.name} has no ${role} client`);
  return { serializer: options.serializer, ...target };
}

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const SERVER_START_TIMEOUT_MS = 20_000 * TIME_SCALE;
const PROBE_TIMEOUT_MS = 10_000 * TIME_SCALE;
const probeModule = fileURLToPath(new URL('./lib/router-probe.mjs', import.meta.url));

export async function startSystem(name, options) {
  switch (name) {
    case 'relay':
      return startForked(name, 'servers/relay-server.mjs', options, 'relay');
    case 'relay-corked':
      return startForked(name, 'servers/relay-server.mjs', { ...options, corked: true }, 'relay');
    case 'relay-framed':
      return startForked(name, 'servers/relay-server.mjs', { ...options, framed: true }, 'relay');
    case 'relay-http':
      return startForked(name, 'servers/relay-server.mjs', { ...options, framed: true, httpPublish: true }, 'relay');
    case 'relay-http-raw':
      return startForked(name, 'servers/relay-server.mjs', { ...options, framed: true, httpPublish: true, httpPublishRaw: true }, 'relay');
    case 'socketio':
      return startForked(name, 'servers/socketio-server.mjs', options, 'socketio');
    case 'junction':
    case 'junction-ticket':
    case 'junction-wampcra':
    case 'junction-rawsocket':
    case 'junction-sse':
    case 'junction-http':
    case 'junction-longpoll':
    case 'junction-workers':
    case 'junction-baseline':
    case 'junction-baseline-http':
    case 'junction-baseline-sse':
    case 'junction-baseline-workers':
    case 'junction-mqtt':
    case 'junction-baseline-mqtt':
      return startJunction(name, options);
    case 'mosquitto':
      return startMosquitto(name, options);
    default:
      throw new Error(`unknown system "${name}" (expected one of ${SYSTEMS.join(', ')})`);
  }
}

function everyRole(target) {
  return { publisher: target, subscriber: target, callee: target, caller: target, connector: target };
}

async function startForked(name, modulePath, options, kind) {
  const settings = {
    serializer: options.serializer, corked: options.corked === true, framed: options.framed === true,
    httpPublish: options.httpPublish === true, httpPublishRaw: options.httpPublishRaw === true, hardTimeoutMs: options.hardTimeoutMs,
  };
  // Profiled like the routers (--profile): the relay's profile is written when it exits on 'close'.
  const execArgv = options.profileDir ? ['--cpu-prof', '--cpu-prof-dir', options.profileDir] : undefined;
  const child = forkBench(modulePath, settings, `${name} server`, execArgv);
  try {
    const { url } = await expectMessage(child, 'listening', SERVER_START_TIMEOUT_MS);
    const clients = everyRole({ kind, url });
    // The same POSTs in flight as junction-http: as many as the WAMP publisher may have publishes unacknowledged.
    if (settings.httpPublish) clients.publisher = httpPublisherTarget(`${url.replace(/^ws:/, 'http:')}publish`, options);
    return { name, url, pid: child.pid, clients, stop: () => stopChild(child) };
  } catch (error) {
    await stopChild(child);
    throw error;
  }
}

function junctionIsBuilt(root) {
  return existsSync(`${root}/dist/src/cli/main.js`) && existsSync(`${root}/bin/junction.js`);
}

/**
 * The router config of every Junction system: the embedded default (what `junction start` runs
 * without --config: realm1, anonymous may do everything, /ws /publish /sse /lp ... on one port),
 * written to a temp dir with what a benchmark needs on top, so that only the clients' transport
 * differs between the Junction systems:
 * - a rawsocket transport on its own port;
 * - no publish rate limit (the realm default is 1,000 publications/s per session: the publisher
 *   here, and the HTTP publisher's one bridge session, send far more), and no limit on
 *   subscriptions per session (default 10,000: pattern-fanout.mjs's loader holds 12,000);
 * - no per-address cap on WebSocket and RawSocket connections (default 1,000), SSE streams and
 *   long-poll transports (default 100): every load generator connects from 127.0.0.1. A build
 *   from before the WebSocket and RawSocket caps (a --baseline) refuses those keys: for it they
 *   are left out (`connectionCaps` false);
 * - WebSocket messages up to LARGEST_MESSAGE (default 1 MiB): the large payload workloads send
 *   1 MiB arguments inside a WAMP message;
 * - a second WebSocket path, /wsauth, that signs sessions in with a ticket or WAMP-CRA (BENCH_USER,
 *   role anonymous), for the connect workload's junction-ticket and junction-wampcra;
 * - with `autoPingIntervalMs`, that WebSocket keepalive interval instead of the default
 *   (bench/idle.mjs --ping-interval);
 * - with `everyDoor` (bench/soak.mjs), every other door too (everyDoorConfig).
 */
const LARGEST_MESSAGE = 4 * 1024 * 1024;
const BENCH_USER = { authid: 'bench', ticket: 'bench-ticket', secret: 'bench-secret' };

async function writeJunctionConfig(webPort, rawSocketPort, { connectionCaps = true, autoPingIntervalMs, mqttPort, everyDoor } = {}) {
  const { embeddedDefaultDocument } = await import(pathToFileURL(`${repoRoot}/dist/src/config/defaults.js`).href);
  const document = structuredClone(embeddedDefaultDocument);
  const worker = document.workers[0];
  for (const realm of worker.realms) {
    realm.options = { ...realm.options, limits: { ...realm.options?.limits, publish_rate: { per_second: 0, burst: 0 }, max_subscriptions_per_session: 0 } };
  }
  const web = worker.transports[0];
  web.endpoint = { type: 'tcp', interface: '127.0.0.1', port: webPort };
  web.paths.ws.options = {
    ...web.paths.ws.options, max_message_size: LARGEST_MESSAGE, ...(autoPingIntervalMs === undefined ? {} : { auto_ping_interval: autoPingIntervalMs }),
  };
  web.paths.wsauth = {
    ...web.paths.ws,
    auth: {
      ticket: { type: 'static', principals: { [BENCH_USER.authid]: { ticket: BENCH_USER.ticket, role: 'anonymous' } } },
      wampcra: { type: 'static', users: { [BENCH_USER.authid]: { secret: BENCH_USER.secret, role: 'anonymous' } } },
    },
  };
  const uncapped = connectionCaps ? ['websocket', 'sse', 'longpoll'] : ['sse', 'longpoll'];
  for (const path of Object.values(web.paths)) {
    if (uncapped.includes(path.type)) path.options = { ...path.options, max_per_address: 0 };
  }
  worker.transports.push({
    type: 'rawsocket',
    endpoint: { type: 'tcp', interface: '127.0.0.1', port: rawSocketPort },
    serializers: ['json', 'msgpack', 'cbor'],
    ...(connectionCaps ? { options: { max_per_address: 0 } } : {}),
  });
  if (mqttPort !== undefined) worker.transports.push(mqttTransport(mqttPort));
  if (everyDoor) everyDoorConfig(worker, everyDoor);
  const dir = mkdtempSync(join(tmpdir(), 'junction-bench-'));
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(document, null, 2));
  return { dir, file };
}

/**
 * The MQTT systems' listener: realm1 as the anonymous role, native JSON payloads (the default),
 * and, as for the other transports, no cap per address and no connection rate to speak of: the
 * fan-out's 1,000 subscribers connect from 127.0.0.1 within a second or two (defaults 1,000 per
 * address, 100 connections/s), and room for the idle measurement's clients (bench/idle.mjs; the
 * defaults are 10,000 connections and sessions). Every other limit is the default.
 */
const IDLE_CLIENTS_AT_MOST = 100_000;
function mqttTransport(port) {
  return {
    type: 'mqtt',
    endpoint: { type: 'tcp', interface: '127.0.0.1', port },
    options: { realm: 'realm1', role: 'anonymous', max_per_address: 0, connection_rate: 1_000_000, max_connections: IDLE_CLIENTS_AT_MOST, max_sessions: IDLE_CLIENTS_AT_MOST },
  };
}

/**
 * The soak's doors on top of the bench config (bench/soak.mjs --doors): a WAMP v1 path (/wamp1,
 * realm1 as anonymous), a Pusher transport on its own port (one app, client events on), event
 * history on the SSE churn's topics, so that a stream resumed with Last-Event-ID replays what it
 * missed, and long-poll queues of LONGPOLL_QUEUE_SECONDS of the fan-out: with the default 100
 * messages, a steady long-poll subscriber of 200 events/s whose next receive comes half a second
 * late (the one load process busy) is closed as a slow consumer. The MQTT listener is
 * mqttTransport's.
 */
export const PUSHER_APP = { id: 'soak', key: 'soak-key', secret: 'soak-secret' };
export const SSE_HISTORY_PREFIX = 'soak.sse.';
const LONGPOLL_QUEUE_SECONDS = 20;
const FANOUT_EVENTS_AT_MOST = 1_000; // per second: five times the soak's default
function everyDoorConfig(worker, { pusherPort }) {
  const web = worker.transports[0];
  const queued = LONGPOLL_QUEUE_SECONDS * FANOUT_EVENTS_AT_MOST;
  web.paths.lp.options = { ...web.paths.lp.options, queue_limit_messages: queued, queue_limit_bytes: queued * 256 };
  web.paths.wamp1 = { type: 'websocket', serializers: ['json'], options: { max_per_address: 0, wamp1: { realm: 'realm1', role: 'anonymous' } } };
  worker.transports.push({
    type: 'pusher',
    endpoint: { type: 'tcp', interface: '127.0.0.1', port: pusherPort },
    apps: [{ ...PUSHER_APP, realm: 'realm1', role: 'anonymous', client_events: true }],
    options: { max_per_address: 0 },
  });
  const realm = worker.realms[0];
  realm.store = { type: 'memory', 'event-history': [{ uri: SSE_HISTORY_PREFIX, match: 'prefix', limit: 100 }] };
}

/** Whether the build in `root` accepts the config `file` (`junction check`). */
function buildAccepts(root, file) {
  try {
    execFileSync(process.execPath, ['bin/junction.js', 'check', '--config', file], { cwd: root, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function startJunction(name, options) {
  const root = name.startsWith('junction-baseline') ? options.baseline : repoRoot;
  if (!root) throw new Error('junction-baseline needs --baseline DIR: the checkout of the Junction build to compare with');
  if (!junctionIsBuilt(root)) throw new Error(`Junction is not built in ${root}: dist/src/cli/main.js or bin/junction.js is missing (run \`npm run build\` there)`);
  const workers = name.endsWith('-workers') ? WORKER_PROCESSES : 1;
  const port = await freePort();
  const rawSocketPort = await freePort();
  const mqttPort = name.endsWith('-mqtt') || options.everyDoor ? await freePort() : undefined;
  const everyDoor = options.everyDoor ? { pusherPort: await freePort() } : undefined;
  const { autoPingIntervalMs } = options;
  let config = await writeJunctionConfig(port, rawSocketPort, { autoPingIntervalMs, mqttPort, everyDoor });
  if (!buildAccepts(root, config.file)) {
    rmSync(config.dir, { recursive: true, force: true });
    config = await writeJunctionConfig(port, rawSocketPort, { connectionCaps: false, autoPingIntervalMs, mqttPort, everyDoor });
  }
  const removeConfig = () => rmSync(config.dir, { recursive: true, force: true });
  const nodeFlags = [
    ...((root === repoRoot ? options.routerNodeFlags : options.baselineNodeFlags) ?? []),
    ...(options.profileDir ? ['--cpu-prof', '--cpu-prof-dir', options.profileDir] : []),
    ...(options.probe ? ['--expose-gc', '--import', pathToFileURL(probeModule).href] : []),
  ];
  // The router's clock for its log (V8 stamps GC trace lines with ms since the process started).
  const startedAt = now();
  const child = spawnTracked(
    process.execPath,
    [...nodeFlags, 'bin/junction.js', 'start', '--config', config.file, '--log-level', 'warn', ...(workers > 1 ? ['--workers', String(workers)] : [])],
    { cwd: root },
    `${name} router`,
    { ipc: options.probe === true, logFile: options.routerLogFile },
  );
  const url = `ws://127.0.0.1:${port}/ws`;
  const http = `http://127.0.0.1:${port}`;
  const rawSocket = { kind: 'wamp-rawsocket', host: '127.0.0.1', port: rawSocketPort };
  const mqtt = { kind: 'mqtt', host: '127.0.0.1', port: mqttPort };
  try {
    // Ready means a WAMP session can be opened, not merely that the port is bound.
    const ready = { timeoutMs: SERVER_START_TIMEOUT_MS, what: 'junction router', giveUp: () => (child.exitInfo ? new Error(`junction router exited (${child.exitInfo})${child.describeFailure()}`) : null) };
    // Each join bounded: with --workers, a connection made while the workers start has been seen
    // to stay unanswered (held by the parent, or by a worker) while later ones are served.
    const joins = (connect) => retryUntil(async () => (await withTimeout(connect(), JOIN_TIMEOUT_MS, 'a join')).close(), ready);
    await joins(() => connectWamp({ url, serializer: options.serializer }));
    await joins(() => connectWampRawSocket({ ...rawSocket, serializer: options.serializer }));
    if (mqttPort !== undefined) await joins(() => connectMqtt(mqtt));
    if (workers > 1) await retryUntil(() => everyWorkerAnswers(url, options.serializer, workers), ready);
  } catch (error) {
    await terminateChild(child);
    removeConfig();
    throw error;
  }
  const ws = { kind: 'wamp', url };
  const wsAuth = (method) => ({ kind: 'wamp', url: `ws://127.0.0.1:${port}/wsauth`, auth: { method, authid: BENCH_USER.authid, secret: method === 'ticket' ? BENCH_USER.ticket : BENCH_USER.secret } });
  const longPoll = { kind: 'wamp-longpoll', url: `${http}/lp`, serializer: 'json' };
  const clients = {
    junction: everyRole(ws),
    'junction-workers': everyRole(ws),
    'junction-baseline': everyRole(ws),
    'junction-baseline-workers': everyRole(ws),
    'junction-ticket': { connector: wsAuth('ticket') },
    'junction-wampcra': { connector: wsAuth('wampcra') },
    'junction-baseline-http': { publisher: httpPublisherTarget(`${http}/publish`, options), subscriber: ws },
    'junction-rawsocket': { publisher: ws, callee: ws, subscriber: rawSocket, caller: rawSocket },
    'junction-sse': { publisher: ws, subscriber: { kind: 'sse', url: `${http}/sse` } },
    'junction-baseline-sse': { publisher: ws, subscriber: { kind: 'sse', url: `${http}/sse` } },
    // As many POSTs in flight as the WAMP publisher may have publishes unacknowledged.
    'junction-http': { publisher: httpPublisherTarget(`${http}/publish`, options), subscriber: ws },
    // The long-poll client speaks batched JSON only, whatever --serializer says (so does SSE).
    'junction-longpoll': { publisher: ws, callee: ws, subscriber: longPoll, caller: longPoll },
    'junction-mqtt': { publisher: mqtt, subscriber: mqtt, wampPublisher: ws },
    'junction-baseline-mqtt': { publisher: mqtt, subscriber: mqtt, wampPublisher: ws },
  }[name];
  // SIGTERM, not a kill: the router shuts down cleanly and node writes the --cpu-prof profile.
  const stop = async () => {
    await terminateChild(child, 10_000);
    removeConfig();
  };
  // With `snapshot` (a file path), the router first writes a heap snapshot there: that takes longer.
  const probe = (snapshot) => {
    sendTo(child, { type: 'probe', snapshot });
    return expectMessage(child, 'probe', snapshot ? 10 * PROBE_TIMEOUT_MS : PROBE_TIMEOUT_MS);
  };
  // The server's CPU is that of the whole process tree: with --workers, the parent and its workers.
  const log = options.routerLogFile ? { logFile: options.routerLogFile, startedAt } : {};
  const doors = everyDoor ? {
    rawsocket: rawSocket, longpoll: longPoll, sse: { kind: 'sse', url: `${http}/sse` }, mqtt,
    http: { publish: `${http}/publish`, call: `${http}/call` },
    pusher: { url: `ws://127.0.0.1:${everyDoor.pusherPort}/app/${PUSHER_APP.key}?protocol=7&client=js&version=8.6.0`, port: everyDoor.pusherPort, app: PUSHER_APP },
    wamp1: { url: `ws://127.0.0.1:${port}/wamp1` },
  } : undefined;
  return { name, url, http, pid: child.pid, pids: () => processTree(child.pid), clients, stop, ...log, ...(options.probe ? { probe } : {}), ...(doors ? { doors } : {}) };
}

/**
 * Resolves once `workers` distinct nodes have answered (WELCOME's x_junction_node), so no
 * workload starts while a worker is still starting; throws after a bounded number of joins.
 */
async function everyWorkerAnswers(url, serializer, workers) {
  const nodes = new Set();
  for (let attempt = 0; attempt < 10 * workers && nodes.size < workers; attempt++) {
    const session = await withTimeout(connectWamp({ url, serializer }), JOIN_TIMEOUT_MS, 'a join');
    nodes.add(session.welcomeDetails?.x_junction_node);
    session.close();
  }
  if (nodes.size < workers) throw new Error(`only ${nodes.size} of ${workers} workers answered`);
}
