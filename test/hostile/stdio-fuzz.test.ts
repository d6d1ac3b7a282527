import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { CaptureLog } from '../auth/support/capture-log.js';
import { checkFuzz, CrashWatch, fuzzSeed, fuzzTimeout, startFuzzedNode, WampBystander } from '../support/fuzz.js';
import { testConfig } from '../support/node.js';
import { Arrivals } from '../support/wait.js';

/**
 * Fuzzing the stdio door: the component runs a small relay program, so that what the test writes
 * is what the program prints (fuzzed command lines: every command type with fields replaced,
 * non-JSON, overlong lines, stray bytes) and what the router writes to the program comes back to
 * the test. After each batch a `call` with an id is answered with its result: the program's
 * session is alive and in step. The node logs no error and a WAMP bystander keeps working.
 */

const maxLineBytes = 1_024;

/** The program: its stdout is the test's socket, its stdin goes back to the test. */
const relay = "const s = require('node:net').connect(Number(process.env.RELAY_PORT), '127.0.0.1'); s.pipe(process.stdout); process.stdin.pipe(s); s.on('close', () => process.exit(0));";

const json = fc.jsonValue({ maxDepth: 2 });
const uri = fc.oneof(fc.constantFrom('bystander.events', 'bystander.echo', 'fuzz.topic', 'fuzz.proc', 'wamp.session.get', 'wamp.x', '', 'a..b', 'x'.repeat(300)), fc.string({ maxLength: 10 }));
/** Mostly `usual`, sometimes anything: commands must get past the first checks to reach the router. */
const mostly = <T>(usual: fc.Arbitrary<T>): fc.Arbitrary<unknown> => fc.oneof({ weight: 5, arbitrary: usual }, { weight: 1, arbitrary: json });
const field = {
  topic: mostly(uri),
  procedure: mostly(uri),
  match: mostly(fc.constantFrom('exact', 'prefix', 'wildcard')),
  args: mostly(fc.array(json, { maxLength: 3 })),
  kwargs: mostly(fc.dictionary(fc.string({ maxLength: 5 }), json, { maxKeys: 2 })),
  options: mostly(fc.record({ exclude_me: fc.boolean(), retain: fc.boolean(), acknowledge: fc.boolean(), eligible: fc.array(fc.nat()) }, { requiredKeys: [] })),
  // A call without a timeout waits for its answer: those below mostly get a short one.
  timeout: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(1, 50, 100) }, { weight: 1, arbitrary: fc.oneof(fc.constantFrom(0, -1, 1.5, 1e12), json) }),
  request: mostly(fc.nat(20)),
  error: mostly(fc.constantFrom('app.error', 'wamp.error.runtime_error', 'x')),
  id: mostly(fc.oneof(fc.string({ maxLength: 6 }), fc.nat())),
};
const pick = (...names: (keyof typeof field)[]): fc.Arbitrary<Record<string, unknown>> =>
  fc.record(Object.fromEntries(names.map((name) => [name, field[name]])) as Record<string, fc.Arbitrary<unknown>>, { requiredKeys: [] });

/** One command of each type with its own fields (each mostly well-formed), sometimes with a field it does not have or a made-up type. */
const command = fc.oneof(
  pick('topic', 'args', 'kwargs', 'options', 'id').map((fields) => ({ type: 'publish', ...fields })),
  pick('topic', 'match', 'id').map((fields) => ({ type: 'subscribe', ...fields })),
  pick('procedure', 'match', 'id').map((fields) => ({ type: 'register', ...fields })),
  pick('procedure', 'args', 'kwargs', 'timeout', 'id').map((fields) => ({ type: 'call', timeout: 50, ...fields })),
  pick('request', 'args', 'kwargs').map((fields) => ({ type: 'yield', ...fields })),
  pick('request', 'error', 'args', 'kwargs').map((fields) => ({ type: 'error', ...fields })),
).chain((fields) => fc.oneof(
  { weight: 8, arbitrary: fc.constant<Record<string, unknown>>(fields) },
  { weight: 1, arbitrary: json.map((extra) => ({ ...fields, extra })) },
  { weight: 1, arbitrary: json.map((type) => ({ ...fields, type })) },
));

const line: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 6, arbitrary: command.map((fields) => Buffer.from(JSON.stringify(fields))) },
  { weight: 1, arbitrary: json.map((value) => Buffer.from(JSON.stringify(value))) },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }).map((text) => Buffer.from(text.replace(/\n/g, ' '))) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 20 }).map((bytes) => Buffer.from(bytes.map((byte) => (byte === 10 ? 32 : byte)))) },
  { weight: 1, arbitrary: fc.integer({ min: maxLineBytes - 2, max: maxLineBytes * 3 }).map((length) => Buffer.from(`{"type":"publish","topic":"fuzz.topic","args":["${'x'.repeat(length)}"]}`)) },
);

/** The test's end of the relay: lines to print as the program, lines the router wrote to it. */
class ProgramLink {
  readonly received: Record<string, unknown>[] = [];
  private buffered = '';
  readonly arrivals = new Arrivals({ stopped: () => undefined, received: () => JSON.stringify(this.received.slice(-5)) });

  constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffered += chunk;
      let end;
      while ((end = this.buffered.indexOf('\n')) >= 0) {
        this.received.push(JSON.parse(this.buffered.slice(0, end)) as Record<string, unknown>);
        this.buffered = this.buffered.slice(end + 1);
      }
      this.arrivals.wake();
    });
  }
}

describe(`stdio door under fuzzed program output (seed ${fuzzSeed})`, () => {
  const log = new CaptureLog();
  let server: Server;
  let link: ProgramLink;
  let watch: CrashWatch;
  let bystander: WampBystander;
  let stop: () => Promise<void>;

  before(async () => {
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const connected = new Promise<Socket>((resolve) => server.once('connection', resolve));
    const config = testConfig();
    config.components = [{
      kind: 'stdio', id: 'fuzzed', realm: 'realm1', role: 'anonymous', command: [process.execPath, '-e', relay], cwd: tmpdir(),
      env: { RELAY_PORT: String((server.address() as AddressInfo).port) }, maxLineBytes, queueLimit: 1_000, restart: { initialDelayMs: 50, maxDelayMs: 1_000 },
    }];
    ({ watch, bystander, stop } = await startFuzzedNode(config, log));
    link = new ProgramLink(await connected);
  });
  after(async () => {
    await stop();
    server.close();
  });

  it('answers every line or refuses it, and keeps the program\'s session in step', { timeout: fuzzTimeout(120_000) }, async () => {
    let runs = 0;
    await checkFuzz('stdio', fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 5 }), async (lines) => {
      const probe = `probe-${runs}`;
      link.socket.write(Buffer.concat([...lines.flatMap((bytes) => [bytes, Buffer.from('\n')]),
        Buffer.from(`${JSON.stringify({ type: 'call', procedure: 'bystander.echo', args: [probe], id: probe, timeout: 5_000 })}\n`)]));
      await link.arrivals.until(() => link.received.some((message) => message.id === probe), `the answer to ${probe}`, 5_000);
      assert.deepEqual(link.received.find((message) => message.id === probe), { type: 'result', id: probe, args: [probe], kwargs: {} });
      for (const message of link.received) {
        if (message.type === 'error') assert.notEqual(message.error, 'wamp.error.runtime_error', JSON.stringify(message));
      }
      link.received.length = 0;
      watch.assertQuiet('stdio lines');
      runs += 1;
      if (runs % 50 === 0) await bystander.works(`after ${runs} fuzzed batches`);
    }), 100);
    await bystander.works('after the stdio fuzzing');
    watch.assertQuiet('the stdio fuzzing');
  });
});
