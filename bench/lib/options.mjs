import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_SYSTEMS, SYSTEMS } from '../systems.mjs';
import { WORKLOAD_NAMES } from '../workloads/index.mjs';
import { largestIdleCount } from './open-files.mjs';

export const USAGE = `Usage: node bench/run.mjs [options]

Compares Junction with a plain ws relay (the floor) and Socket.IO, and Junction's transports
(WebSocket, RawSocket, SSE, the HTTP publisher, optionally long-poll) with each other, in one run.

  --only LIST               comma-separated workloads (default: all of them, in this order):
                              fanout          1 publisher -> --subscribers subscribers, events/s
                              rpc             --callers callers, one call in flight each, calls/s
                              publish         1 publisher -> --publish-subscribers subscribers,
                                              publications/s: the cost of a publication itself
                              chat-32         32 sessions all publishing to and subscribed to
                              chat-256        one topic (256 sessions), events/s
                              many-topics     1,000 topics x 10 subscribers (1,000 sessions with
                                              10 subscriptions each), publications spread
                              events-64k      64 KiB / 1 MiB events to 10 subscribers: MB/s,
                              events-1m       server peak RSS
                              calls-64k       64 KiB / 1 MiB call arguments echoed, 4 callers
                              calls-1m
                              connect         connect + join + close per second: anonymous,
                                              ticket, WAMP-CRA, raw WebSocket, Socket.IO
                              rpc-latency     open loop at --rpc-rate calls/s: p50/p99/p99.9
                              fanout-latency  open loop at --fanout-rate publications/s
                              mqtt-fanout     MQTT systems: 1 publisher -> --subscribers
                              mqtt-fanout-qos1  subscribers at QoS 0 / QoS 1, events/s
                              mqtt-inbound    50 publishers at QoS 1 -> 1 subscriber, msgs/s
                              mqtt-retained   1,000 retained topics (2 KiB); subscribers to #
                                              join one after another: time to get them all
                              mqtt-from-wamp  a WAMP publisher -> --subscribers MQTT
                                              subscribers (Junction only: the cross path)
                              idle            --idle-sessions idle sessions with 2 subscriptions
                                              each (relay, junction): memory per session,
                                              CPU spent keeping them (bench/idle.mjs)
                            the latency workloads run after the others; idle runs last
  --systems LIST            comma-separated; default:
                              ${DEFAULT_SYSTEMS.join(',')}
                              relay               plain ws relay, the floor
                              socketio            Socket.IO 4
                              junction            WAMP on WebSocket, every client
                              junction-ticket     connect only: joins signed in with a ticket
                              junction-wampcra    connect only: joins signed in with WAMP-CRA
                              junction-rawsocket  subscribers and callers on RawSocket
                              junction-sse        subscribers on Server-Sent Events (no rpc)
                              junction-http       publisher POSTs to /publish (publish only)
                              junction-longpoll   subscribers and callers on HTTP long-poll,
                                                  batched JSON (not run by default; no publish:
                                                  its queue limit would close subscribers)
                              relay-corked        the relay with writes coalesced per
                                                  event-loop turn (not run by default)
                              relay-framed        the corked relay that frames each message
                                                  once and writes the same bytes to every
                                                  socket: the fan-out floor (not by default)
                              relay-http          relay-framed with its publisher POSTing to a
                                                  plain Node HTTP server: the HTTP publisher's
                                                  floor (publish only; not by default)
                              relay-http-raw      relay-http with the POSTs answered over
                                                  node:net without node:http: the raw floor
                                                  (publish only; not by default)
                              junction-workers    junction start --workers 2, every client on
                                                  WebSocket; server CPU is the parent's and
                                                  the workers' (not run by default)
                              junction-baseline   the Junction build in --baseline DIR (not
                                                  run by default)
                              junction-baseline-http  that build with the HTTP publisher
                                                  (publish only; not run by default)
                              junction-baseline-sse   that build with SSE subscribers
                                                  (fanout and publish; not run by default)
                              junction-baseline-workers  that build with --workers 2 (not
                                                  run by default)
                              junction-mqtt       Junction's MQTT listener, MQTT 3.1.1
                                                  clients (mqtt-* workloads; not by default)
                              junction-baseline-mqtt  that, in the --baseline build
                              mosquitto           Debian's mosquitto broker, the same MQTT
                                                  clients (skipped if /usr/sbin/mosquitto,
                                                  or $MOSQUITTO, is missing; not by default)
                            each system runs only the workloads it can take part in
  --subscribers N           fan-out subscriber sessions (default 1000)
  --publish-subscribers N   subscribers in the publish workload (default 10)
  --callers C               concurrent RPC callers, one call in flight each (default 16)
  --rpc-rate R              rpc-latency's offered calls/s (default: half of Junction's median
                            calls/s in this run's rpc workload, which then must run too)
  --fanout-rate R           fanout-latency's offered publications/s (default: half of
                            Junction's median fan-out rate in this run)
  --idle-sessions N         idle sessions per system (default: the most one server process may
                            hold here, the open file limit ulimit -n less 200)
  --idle-seconds S          idle: how long the keepalive CPU is measured (default 30, more than
                            Junction's 25 s ping interval)
  --duration S              measured seconds per workload, system and round (default 3)
  --warmup S                warm-up seconds before measuring (default 1)
  --rounds R                repeat every measurement R times, rotating the order of the
                            systems, and report each system's median round (default 1; the
                            idle workload runs once)
  --serializer NAME         json | msgpack | cbor for the WAMP clients and the relay (default
                            json); Socket.IO, SSE and the HTTP publisher always use JSON
  --client-procs P          processes the subscribers / callers are spread over (default 1;
                            on a 2-core machine more processes only add scheduling noise)
  --window W                fan-out and publish: publications sent but not yet acknowledged;
                            for junction-http and relay-http the number of concurrent POSTs (default 16)
  --http-pipelining P       junction-http, relay-http (and the baseline's): POSTs in flight on each
                            keep-alive connection (HTTP/1.1 pipelining), so --window / P
                            connections (default 1: one POST per connection at a time, as PHP
                            or curl clients do; 16 with the default window: all on one
                            connection, as a WAMP publisher's publications are)
  --max-queued E            fan-out: events published but not yet delivered, summed over all
                            subscribers; the publisher waits for the slowest subscriber to keep
                            within it (default 16000, i.e. 16 publications at 1,000 subscribers)
  --payload-bytes B         padding string in every event and call (default 64; the large
                            payload workloads set their own)
  --lean-subscribers        fan-out workloads with a closed loop (fanout, publish, many-topics,
                            events-*): WAMP-on-WebSocket subscribers read their sockets in bulk
                            and scan each event for its sequence number instead of parsing it
                            (clients/lean-subscriber.mjs), so the load generator costs a small
                            share of the router; no fan-out latency is recorded. Other clients
                            (RawSocket, SSE, long-poll, relay, Socket.IO) stay as they are.
                            JSON only
  --lean-read-interval MS   lean subscribers: read each socket at most once per MS ms (the
                            kernel gathers events in between; default 0: read as data arrives);
                            raise --max-queued with it, or the delivery barrier caps the rate
  --baseline DIR            a checkout of Junction, built, run as system junction-baseline
                            (e.g. git archive of an earlier commit): before/after in one run
  --profile                 run the router under node --cpu-prof; profiles go to bench/profiles/
  --router-node-flags="F"   node flags for every Junction router process, space-separated,
                            e.g. --router-node-flags="--trace-gc --trace-gc-nvp" (with the =:
                            a value starting with -- must be attached)
  --baseline-node-flags="F" node flags for the junction-baseline routers instead (default: the
                            --router-node-flags; "" for none): the same build with and without
                            a flag in one run
  --router-log DIR          keep each Junction router's stdout and stderr in
                            DIR/<workload>.<system>.round<N>.log; with --trace-gc --trace-gc-nvp
                            in the router's flags, a table per workload sums up its GC in the
                            measured window (scavenges/s, pauses, KB allocated, surviving and
                            promoted per message)
  --json                    print machine-readable results on stdout (progress goes to stderr)
  -h, --help                this text

Every workload checks that no event is lost, duplicated or reordered, and no call, publication
or join fails; any such fault makes the exit code 1. The whole default run takes about 10
minutes on 2 cores; pick workloads and systems with --only and --systems to keep it short.
`;

/**
 * A bench script's command line: `parse(argv)` gives the options (with `help`), or throws on a bad
 * one. Returns { options }, or { exitCode } once the usage has been printed (2 on a bad option,
 * 0 for --help).
 */
export function readCommandLine(parse, usage, argv = process.argv.slice(2)) {
  let options;
  try {
    options = parse(argv);
  } catch (error) {
    process.stderr.write(`${error.message}\n\n${usage}`);
    return { exitCode: 2 };
  }
  if (options.help) {
    process.stdout.write(usage);
    return { exitCode: 0 };
  }
  return { options };
}

export const WORKLOADS = [...WORKLOAD_NAMES, 'idle'];
const SERIALIZERS = ['json', 'msgpack', 'cbor'];

export function positiveNumber(name, text, { integer = true } = {}) {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new Error(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got "${text}"`);
  }
  return value;
}

export function oneOf(name, text, allowed) {
  if (!allowed.includes(text)) throw new Error(`--${name} must be one of ${allowed.join(', ')}, got "${text}"`);
  return text;
}

/** Space-separated node flags, some with a value of their own (`--import FILE`): the first must be a flag. */
export function nodeFlags(name, text = '') {
  const flags = text.split(/\s+/).filter(Boolean);
  if (flags.length > 0 && !flags[0].startsWith('-')) throw new Error(`--${name} takes node flags (starting with -), got "${flags[0]}"`);
  return flags;
}

/** A comma-separated list of known names, in the given order, without repeats. */
export function list(name, text, allowed) {
  const names = text.split(',').map((item) => oneOf(name, item.trim(), allowed));
  if (new Set(names).size !== names.length) throw new Error(`--${name} names something twice: "${text}"`);
  return names;
}

export function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      only: { type: 'string' },
      systems: { type: 'string', default: DEFAULT_SYSTEMS.join(',') },
      subscribers: { type: 'string', default: '1000' },
      'publish-subscribers': { type: 'string', default: '10' },
      callers: { type: 'string', default: '16' },
      duration: { type: 'string', default: '3' },
      warmup: { type: 'string', default: '1' },
      rounds: { type: 'string', default: '1' },
      'rpc-rate': { type: 'string' },
      'fanout-rate': { type: 'string' },
      'idle-sessions': { type: 'string' },
      'idle-seconds': { type: 'string', default: '30' },
      serializer: { type: 'string', default: 'json' },
      'client-procs': { type: 'string', default: '1' },
      window: { type: 'string', default: '16' },
      'http-pipelining': { type: 'string', default: '1' },
      'max-queued': { type: 'string', default: '16000' },
      'payload-bytes': { type: 'string', default: '64' },
      'lean-subscribers': { type: 'boolean', default: false },
      'lean-read-interval': { type: 'string', default: '0' },
      baseline: { type: 'string' },
      profile: { type: 'boolean', default: false },
      'router-node-flags': { type: 'string' },
      'baseline-node-flags': { type: 'string' },
      'router-log': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values['lean-subscribers'] && values.serializer !== 'json') throw new Error(`--lean-subscribers reads JSON events only: use --serializer json, not ${values.serializer}`);
  return {
    help: values.help,
    workloads: values.only ? list('only', values.only, WORKLOADS) : WORKLOADS,
    systems: list('systems', values.systems, SYSTEMS),
    subscribers: positiveNumber('subscribers', values.subscribers),
    publishSubscribers: positiveNumber('publish-subscribers', values['publish-subscribers']),
    callers: positiveNumber('callers', values.callers),
    duration: positiveNumber('duration', values.duration, { integer: false }),
    warmup: values.warmup === '0' ? 0 : positiveNumber('warmup', values.warmup, { integer: false }),
    rounds: positiveNumber('rounds', values.rounds),
    rpcRate: values['rpc-rate'] === undefined ? undefined : positiveNumber('rpc-rate', values['rpc-rate'], { integer: false }),
    fanoutRate: values['fanout-rate'] === undefined ? undefined : positiveNumber('fanout-rate', values['fanout-rate'], { integer: false }),
    idleSessions: values['idle-sessions'] === undefined ? largestIdleCount() : positiveNumber('idle-sessions', values['idle-sessions']),
    idleSeconds: positiveNumber('idle-seconds', values['idle-seconds'], { integer: false }),
    serializer: oneOf('serializer', values.serializer, SERIALIZERS),
    clientProcs: positiveNumber('client-procs', values['client-procs']),
    window: positiveNumber('window', values.window),
    httpPipelining: positiveNumber('http-pipelining', values['http-pipelining']),
    maxQueued: positiveNumber('max-queued', values['max-queued']),
    payloadBytes: values['payload-bytes'] === '0' ? 0 : positiveNumber('payload-bytes', values['payload-bytes']),
    leanSubscribers: values['lean-subscribers'],
    leanReadIntervalMs: values['lean-read-interval'] === '0' ? 0 : positiveNumber('lean-read-interval', values['lean-read-interval'], { integer: false }),
    baseline: values.baseline === undefined ? undefined : resolve(values.baseline),
    profile: values.profile,
    routerNodeFlags: nodeFlags('router-node-flags', values['router-node-flags']),
    baselineNodeFlags: nodeFlags('baseline-node-flags', values['baseline-node-flags'] ?? values['router-node-flags']),
    routerLog: values['router-log'] === undefined ? undefined : resolve(values['router-log']),
    json: values.json,
  };
}
