#!/usr/bin/env node
// The TypeScript client's own CPU per message, in one process, this build against another
// (--baseline DIR: a built checkout, e.g. a `git archive` of main). No router and no other
// process: what is measured is the client's code, so a difference of a fraction of a
// microsecond shows even on a loaded machine (CPU time, not wall time; rounds interleaved).
//
//   node bench/client-costs.mjs --baseline DIR [--messages 100000] [--rounds 7]
//
// Workloads, each over CBOR, every round running both builds in turn (order alternating):
//   invocation  a scripted router feeds INVOCATION frames (Buffers, as `ws` gives them) to a
//               session whose endpoint echoes its arguments and never reads `details.signal`;
//               ends when every YIELD is out. µs per invocation.
//   call        session.call() with no options, answered by RESULT at once. µs per call.
//   event       EVENT frames to a subscription with a handler. µs per event.
//   ws-receive  a `ws` server in this process sends binary frames of 120 bytes to the build's
//               WebSocket transport over loopback (server's sending included, the same for both).
//               µs per frame.
// Run `npm run build` first (and build the baseline the same way).
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { WebSocket, WebSocketServer } from 'ws';

const { values } = parseArgs({
  options: {
    baseline: { type: 'string' },
    messages: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '7' },
  },
});
if (!values.baseline) throw new Error('--baseline DIR is required (a built checkout to compare with)');
const messages = Number(values.messages);
const rounds = Number(values.rounds);
const BATCH = 500;

async function loadBuild(root) {
  const at = (path) => import(pathToFileURL(join(resolve(root), 'dist/src', path)).href);
  const [client, cbor, websocket] = await Promise.all([at('client/index.js'), at('codec/cbor.js'), at('client/transports/websocket.js')]);
  return { connect: client.connect, Result: client.Result, cbor: cbor.cborCodec, webSocketTransport: websocket.webSocketTransport };
}

/**
 * A scripted router behind a TransportFactory: answers HELLO, REGISTER, SUBSCRIBE and CALL at
 * once, counts YIELDs, and lets the bench push frames to the client.
 */
function scriptedRouter(codec) {
  const state = { yields: 0, deliver: undefined, onYield: undefined };
  const transport = async (_url, _protocols, handlers) => {
    state.deliver = (frame) => handlers.message(frame);
    const reply = (wire) => queueMicrotask(() => handlers.message(Buffer.from(codec.encode(wire))));
    return {
      protocol: codec.subprotocol,
      send(frame) {
        const wire = codec.decode(frame);
        switch (wire[0]) {
          case 1: return reply([2, 1, { authid: 'bench', authrole: 'user', roles: { broker: {}, dealer: {} } }]);
          case 64: return reply([65, wire[1], 30]);
          case 32: return reply([33, wire[1], 40]);
          // RESULT at once, within the same turn as a router answering from its read buffer would.
          case 48: return handlers.message(Buffer.from(codec.encode([50, wire[1], {}, wire[4] ?? []])));
          case 70: state.yields++; return state.onYield?.();
          default: return undefined;
        }
      },
      close: (code = 1000, reason = '') => queueMicrotask(() => handlers.close(code, reason)),
    };
  };
  return { state, transport };
}

const cpuMicros = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

async function measure(count, body) {
  const start = cpuMicros();
  await body(count);
  return (cpuMicros() - start) / count;
}

async function sessionFor(build) {
  const router = scriptedRouter(build.cbor);
  const session = await build.connect({ url: 'ws://bench.invalid/', realm: 'bench', serializers: ['cbor'], reconnect: false, transport: router.transport });
  return { router, session };
}

async function invocations(build, count) {
  const { router, session } = await sessionFor(build);
  await session.register('com.bench.echo', (args, kwargs) => new build.Result(args, kwargs));
  // Each frame a view of a larger read buffer, as `ws` hands them over.
  const frames = [];
  for (let request = 1; request <= BATCH; request++) {
    const bytes = build.cbor.encode([68, request, 30, { caller: 7 }, [1, 'two', { three: 3 }]]);
    const chunk = Buffer.alloc(bytes.length + 64);
    Buffer.from(bytes).copy(chunk, 32);
    frames.push(chunk.subarray(32, 32 + bytes.length));
  }
  const perOp = await measure(count, async () => {
    for (let sent = 0; sent < count; sent += BATCH) {
      const done = new Promise((resolve) => (router.state.onYield = () => router.state.yields === sent + BATCH && resolve()));
      for (const frame of frames) router.state.deliver(frame);
      await done;
    }
  });
  await session.leave();
  return perOp;
}

async function calls(build, count) {
  const { session } = await sessionFor(build);
  const args = [1, 'two', { three: 3 }];
  const perOp = await measure(count, async () => {
    for (let made = 0; made < count; made += BATCH) {
      const batch = [];
      for (let i = 0; i < BATCH; i++) batch.push(session.call('com.bench.echo', args));
      await Promise.all(batch);
    }
  });
  await session.leave();
  return perOp;
}

async function events(build, count) {
  const { router, session } = await sessionFor(build);
  let received = 0;
  await session.subscribe('com.bench.topic', () => void received++);
  const frame = Buffer.from(build.cbor.encode([36, 40, 1, {}, [1, 'two', { three: 3 }]]));
  const perOp = await measure(count, async () => {
    for (let sent = 0; sent < count; sent += BATCH) {
      for (let i = 0; i < BATCH; i++) router.state.deliver(frame);
      await new Promise(setImmediate);
    }
  });
  if (received !== count) throw new Error(`event: ${received} of ${count} delivered`);
  await session.leave();
  return perOp;
}

async function wsReceive(build, count) {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  const payload = Buffer.alloc(120, 7);
  server.on('connection', (socket) => {
    socket.on('message', async () => {
      // Sent in batches, so that `ws` reads many frames per socket read, as under load.
      for (let sent = 0; sent < count; sent += BATCH) {
        for (let i = 0; i < BATCH; i++) socket.send(payload);
        await new Promise(setImmediate);
      }
    });
  });
  let received = 0;
  let finished;
  const all = new Promise((resolve) => (finished = resolve));
  const transport = await build.webSocketTransport(WebSocket)(`ws://127.0.0.1:${server.address().port}/`, ['wamp.2.cbor'], {
    message: (frame) => {
      if (frame.length !== payload.length) throw new Error('ws-receive: a frame of the wrong size');
      if (++received === count) finished();
    },
    close: () => {},
  });
  const perOp = await measure(count, async () => {
    transport.send('go');
    await all;
  });
  transport.close();
  await new Promise((resolve) => server.close(resolve));
  return perOp;
}

const workloads = { invocation: invocations, call: calls, event: events, 'ws-receive': wsReceive };
const builds = { after: await loadBuild('.'), before: await loadBuild(values.baseline) };
const results = {};
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? ['before', 'after'] : ['after', 'before'];
  for (const [name, run] of Object.entries(workloads)) {
    for (const build of order) ((results[name] ??= { before: [], after: [] })[build]).push(await run(builds[build], messages));
  }
  console.error(`[client-costs] round ${round + 1} of ${rounds} done`);
}

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor((list.length - 1) / 2)];
console.log(`client CPU per message, µs (median of ${rounds} rounds of ${messages}; node ${process.version}; load ${(await import('node:os')).loadavg().map((l) => l.toFixed(1)).join(' ')})`);
console.log('workload     before  after  change  before rounds (sorted)                after rounds (sorted)');
for (const [name, { before, after }] of Object.entries(results)) {
  const [b, a] = [median(before), median(after)];
  const sorted = (list) => [...list].sort((x, y) => x - y).map((v) => v.toFixed(2)).join(' ');
  console.log(`${name.padEnd(11)} ${b.toFixed(2).padStart(7)} ${a.toFixed(2).padStart(6)} ${`${(((a - b) / b) * 100).toFixed(0)}%`.padStart(7)}  ${sorted(before).padEnd(38)} ${sorted(after)}`);
}
