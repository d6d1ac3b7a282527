import { parseArgs } from 'node:util';
import { DEFAULT_SYSTEMS, SYSTEMS } from '../systems.mjs';

export const USAGE = `Usage: node bench/run.mjs [options]

Compares Junction with a plain ws relay (the floor) and Socket.IO, in one run.

  --only fanout|rpc         run one workload (default: both)
  --systems LIST            comma-separated, from relay, socketio, junction and relay-corked
                            (the relay with writes coalesced per event-loop turn)
                            (default: relay,socketio,junction)
  --subscribers N           fan-out subscriber sessions (default 1000)
  --callers C               concurrent RPC callers, one call in flight each (default 16)
  --duration S              measured seconds per workload, system and round (default 3)
  --warmup S                warm-up seconds before measuring (default 1)
  --rounds R                repeat every measurement R times, rotating the order of the
                            systems, and report each system's median round (default 3)
  --serializer NAME         json | msgpack | cbor for Junction and the relay (default json);
                            Socket.IO always uses its own JSON encoding
  --client-procs P          processes the subscribers / callers are spread over (default 1;
                            on a 2-core machine more processes only add scheduling noise)
  --window W                fan-out: publications sent but not yet acknowledged (default 16)
  --max-queued E            fan-out: events published but not yet delivered, summed over all
                            subscribers; the publisher waits for the slowest subscriber to keep
                            within it (default 16000, i.e. 16 publications at 1,000 subscribers)
  --payload-bytes B         padding string in every event and call (default 64)
  --profile                 run the router under node --cpu-prof; profiles go to bench/profiles/
  --json                    print machine-readable results on stdout (progress goes to stderr)
  -h, --help                this text
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

const WORKLOADS = ['fanout', 'rpc'];
const SERIALIZERS = ['json', 'msgpack', 'cbor'];

function positiveNumber(name, text, { integer = true } = {}) {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new Error(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got "${text}"`);
  }
  return value;
}

function oneOf(name, text, allowed) {
  if (!allowed.includes(text)) throw new Error(`--${name} must be one of ${allowed.join(', ')}, got "${text}"`);
  return text;
}

export function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      only: { type: 'string' },
      systems: { type: 'string', default: DEFAULT_SYSTEMS.join(',') },
      subscribers: { type: 'string', default: '1000' },
      callers: { type: 'string', default: '16' },
      duration: { type: 'string', default: '3' },
      warmup: { type: 'string', default: '1' },
      rounds: { type: 'string', default: '3' },
      serializer: { type: 'string', default: 'json' },
      'client-procs': { type: 'string', default: '1' },
      window: { type: 'string', default: '16' },
      'max-queued': { type: 'string', default: '16000' },
      'payload-bytes': { type: 'string', default: '64' },
      profile: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  return {
    help: values.help,
    workloads: values.only ? [oneOf('only', values.only, WORKLOADS)] : WORKLOADS,
    systems: values.systems.split(',').map((name) => oneOf('systems', name.trim(), SYSTEMS)),
    subscribers: positiveNumber('subscribers', values.subscribers),
    callers: positiveNumber('callers', values.callers),
    duration: positiveNumber('duration', values.duration, { integer: false }),
    warmup: values.warmup === '0' ? 0 : positiveNumber('warmup', values.warmup, { integer: false }),
    rounds: positiveNumber('rounds', values.rounds),
    serializer: oneOf('serializer', values.serializer, SERIALIZERS),
    clientProcs: positiveNumber('client-procs', values['client-procs']),
    window: positiveNumber('window', values.window),
    maxQueued: positiveNumber('max-queued', values['max-queued']),
    payloadBytes: values['payload-bytes'] === '0' ? 0 : positiveNumber('payload-bytes', values['payload-bytes']),
    profile: values.profile,
    json: values.json,
  };
}
