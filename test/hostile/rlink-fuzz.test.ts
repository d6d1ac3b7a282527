import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { WebSocketServer, type WebSocket } from 'ws';
import { loadDocument } from '../../src/config/test-support.js';
import { MAX_FORWARD_HOPS } from '../../src/router/options.js';
import { CaptureLog } from '../auth/support/capture-log.js';
import { checkFuzz, fuzzSeed, fuzzTimeout, startFuzzedNode, type FuzzedNode } from '../support/fuzz.js';
import { crossbarAnonymousEverything } from '../support/node.js';
import { RawClient } from '../support/raw-client.js';
import { waitFor } from '../support/wait.js';

/**
 * Hostile input against router links (node/rlink/, router/forward-for.ts): sessions that pose as
 * a link or send forward_for values of every wrong shape, and "other routers" that answer a
 * link with garbage, broken WAMP, hostile events and invocations, an ABORT, or nothing at all.
 * A malformed forward_for is refused; only for a link is the original sender it names disclosed
 * (anyone else is named as itself, so it cannot pose as another publisher); a
 * link whose other router misbehaves logs it, connects again after its backoff, and the node
 * (and a WAMP client on it) carries on; the link's ticket is never logged.
 */

const TICKET = 'rlink-ticket-never-logged-5150';
/** Publishers are disclosed, so that a publisher named falsely would show. */
const disclosing = { ...crossbarAnonymousEverything, permissions: crossbarAnonymousEverything.permissions.map((permission) => ({ ...permission, disclose: { publisher: true, caller: true } })) };
const T = { HELLO: 1, WELCOME: 2, ABORT: 3, CHALLENGE: 4, AUTHENTICATE: 5, GOODBYE: 6, ERROR: 8, PUBLISH: 16, PUBLISHED: 17, SUBSCRIBE: 32, SUBSCRIBED: 33, EVENT: 36, CALL: 48, RESULT: 50, REGISTER: 64, REGISTERED: 65, INVOCATION: 68, YIELD: 70 } as const;

/** What a fake other router does with a link's connection, by the URL path the link dials. */
type Behaviour = (socket: WebSocket, message: unknown[] | undefined, raw: Buffer) => void;

const welcome = (socket: WebSocket) => socket.send(JSON.stringify([T.WELCOME, 4711, { authid: 'fake', authrole: 'rlink', authmethod: 'ticket', roles: { broker: { features: {} }, dealer: { features: {} } } }]));

/** A router that welcomes the link, then answers everything it asks with hostile but well-framed WAMP. */
const hostileRouter: Behaviour = (socket, message) => {
  if (message === undefined) return;
  const [type, request] = message as [number, number];
  switch (type) {
    case T.HELLO:
      return socket.send(JSON.stringify([T.CHALLENGE, 'ticket', {}]));
    case T.AUTHENTICATE:
      welcome(socket);
      // Messages for nothing the link asked for, of unknown types, and of wrong shapes.
      for (const junk of [[999, 1, 2], [T.EVENT, 1234, 5678, {}, [1]], [T.INVOCATION, 1, 99, {}], [T.RESULT, 77, {}], [T.SUBSCRIBED], [T.EVENT, 'x', 'y', 'z'], [], {}, 'text']) {
        socket.send(JSON.stringify(junk));
      }
      return;
    case T.SUBSCRIBE: {
      const subscription = 1000 + request;
      socket.send(JSON.stringify([T.SUBSCRIBED, request, subscription]));
      // Events whose details lie about their publisher and topic, or carry a forward_for of every wrong shape.
      for (const details of [{ publisher: 'x', publisher_authid: {}, topic: 'bad uri !!' }, { publisher: 1e300 }, { publisher: -1, forward_for: 'str' }, { topic: 42 }, { forward_for: [] }]) {
        socket.send(JSON.stringify([T.EVENT, subscription, 1, details, ['a'], { k: 'x'.repeat(1000) }]));
      }
      return;
    }
    case T.REGISTER: {
      const registration = 2000 + request;
      socket.send(JSON.stringify([T.REGISTERED, request, registration]));
      for (const [index, details] of [{ procedure: 123 }, { timeout: -5, caller: 1e300 }, { procedure: 'wamp.session.kill_all' }, { receive_progress: 'yes' }].entries()) {
        socket.send(JSON.stringify([T.INVOCATION, 9000 + index, registration, details, [1]]));
      }
      return;
    }
    case T.CALL:
      // The meta API a link lists the other router's subscriptions and registrations with: answers of the wrong shape.
      return socket.send(JSON.stringify([T.RESULT, request, {}, [{ exact: 'not a list', prefix: 5 }]]));
    default:
      return undefined;
  }
};

/**
 * A router that welcomes the link, then names other topics and procedures than those the link
 * mirrored: an event of its "bystander.events" subscription said to be on "victim.topic", and an
 * invocation of its "bystander.echo" registration said to be for a meta procedure.
 */
const impostorRouter: Behaviour = (socket, message) => {
  const [type, request] = (message ?? []) as [number, number];
  if (type === T.HELLO) socket.send(JSON.stringify([T.CHALLENGE, 'ticket', {}]));
  if (type === T.AUTHENTICATE) welcome(socket);
  if (type === T.SUBSCRIBE) {
    socket.send(JSON.stringify([T.SUBSCRIBED, request, 1000 + request]));
    // Right behind SUBSCRIBED (the client binds the subscription as SUBSCRIBED is read).
    if (message![3] === 'bystander.events') socket.send(JSON.stringify([T.EVENT, 1000 + request, 1, { topic: 'victim.topic' }, ['forged']]));
  }
  if (type === T.REGISTER) {
    socket.send(JSON.stringify([T.REGISTERED, request, 2000 + request]));
    if (message![3] === 'bystander.echo') socket.send(JSON.stringify([T.INVOCATION, 7001, 2000 + request, { procedure: 'wamp.session.count' }, []]));
  }
};

const behaviours: Record<string, Behaviour> = {
  garbage: (socket) => socket.send('this is not JSON at all {'),
  binary: (socket) => socket.send(Buffer.from([0, 1, 2, 255, 254])),
  'bad-welcome': (socket, message) => message?.[0] === T.HELLO && socket.send(JSON.stringify([T.WELCOME, 'not an id', 'not details'])),
  'unknown-challenge': (socket, message) => message?.[0] === T.HELLO && socket.send(JSON.stringify([T.CHALLENGE, 'quantum', { x: 1 }])),
  abort: (socket, message) => message?.[0] === T.HELLO && socket.send(JSON.stringify([T.ABORT, { message: 'm'.repeat(100_000) }, 'wamp.error.not_authorized'])),
  'close-at-once': (socket) => socket.close(4999, 'go away'),
  'welcome-then-goodbye': (socket, message) => {
    if (message?.[0] === T.HELLO) socket.send(JSON.stringify([T.CHALLENGE, 'ticket', {}]));
    if (message?.[0] === T.AUTHENTICATE) {
      welcome(socket);
      setTimeout(() => socket.send(JSON.stringify([T.GOODBYE, {}, 'wamp.close.system_shutdown'])), 200);
    }
  },
  silent: () => undefined,
  // An EVENT past the link's default limits.max_message_size (1 MiB), right after WELCOME.
  oversize: (socket, message) => {
    if (message?.[0] === T.HELLO) socket.send(JSON.stringify([T.CHALLENGE, 'ticket', {}]));
    if (message?.[0] === T.AUTHENTICATE) {
      welcome(socket);
      setTimeout(() => socket.send(JSON.stringify([T.EVENT, 1, 1, {}, ['x'.repeat(1_100_000)]])), 200);
    }
  },
  hostile: hostileRouter,
  impostor: impostorRouter,
};

/** A fake other router: counts the connections each behaviour got, and what links sent it. */
class FakeRouter {
  readonly connections = new Map<string, number>();
  readonly received: unknown[][] = [];
  private readonly server = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: () => 'wamp.2.json' });

  constructor() {
    this.server.on('connection', (socket, request) => {
      const name = (request.url ?? '/').slice(1);
      this.connections.set(name, (this.connections.get(name) ?? 0) + 1);
      const behaviour = behaviours[name];
      socket.on('error', () => undefined);
      socket.on('message', (data: Buffer) => {
        let message: unknown[] | undefined;
        try {
          message = JSON.parse(data.toString()) as unknown[];
          this.received.push(message);
        } catch {
          message = undefined;
        }
        behaviour?.(socket, message, data);
      });
      // The garbage, binary and close behaviours act at once, before the link says anything.
      if (['garbage', 'binary', 'close-at-once'].includes(name)) behaviour?.(socket, undefined, Buffer.alloc(0));
    });
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get openSockets(): number {
    return this.server.clients.size;
  }

  close(): Promise<void> {
    for (const socket of this.server.clients) socket.terminate();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const hop = { session: 1, authid: 'a', authrole: 'b' };
/** The rule a forward_for must meet (router/options.ts): 1 to MAX_FORWARD_HOPS hops, each a session ID and two strings. */
function isGoodForwardFor(value: unknown): value is unknown[] {
  const isHop = (entry: unknown) => {
    const hop = entry as { session?: unknown; authid?: unknown; authrole?: unknown } | null;
    return typeof hop === 'object' && hop !== null && Number.isInteger(hop.session) && (hop.session as number) >= 1 && (hop.session as number) <= 2 ** 53
      && typeof hop.authid === 'string' && typeof hop.authrole === 'string';
  };
  return Array.isArray(value) && value.length >= 1 && value.length <= MAX_FORWARD_HOPS && value.every(isHop);
}

/** forward_for values: good ones, and every wrong shape a client could send. */
const forwardFor = fc.oneof(
  fc.constant([hop]),
  fc.array(fc.record({ session: fc.integer({ min: 1, max: 2 ** 53 }), authid: fc.string({ maxLength: 8 }), authrole: fc.string({ maxLength: 8 }) }), { minLength: 1, maxLength: MAX_FORWARD_HOPS }),
  fc.constant(Array.from({ length: MAX_FORWARD_HOPS + 1 }, () => hop)),
  fc.constant(Array.from({ length: 2_000 }, () => hop)),
  fc.constantFrom([], 'str', 5, true, {}, [null], [[]], [hop, 'x'], [{ session: 0, authid: 'a', authrole: 'b' }], [{ session: -1, authid: 'a', authrole: 'b' }],
    [{ session: 1.5, authid: 'a', authrole: 'b' }], [{ session: 2 ** 53 + 2, authid: 'a', authrole: 'b' }], [{ session: 1, authid: 5, authrole: 'b' }], [{ session: 1 }],
    [{ ...hop, extra: { deep: [1, 2, 3] } }]),
  fc.anything({ maxDepth: 3 }),
);

describe(`router links under hostile sessions and hostile other routers (seed ${fuzzSeed})`, () => {
  const log = new CaptureLog();
  let fake: FakeRouter;
  let fuzzed: FuzzedNode;

  before(async () => {
    fake = new FakeRouter();
    await new Promise((resolve) => setTimeout(resolve, 10));
    const rlinks = Object.keys(behaviours).map((name) => ({
      id: name, realm: 'realm1', authid: 'node-x', auth: { ticket: { ticket: TICKET } },
      // The impostor and oversize links forward toward this router only: those fakes never answer the meta API a link lists the other router's subscriptions with.
      ...(name === 'impostor' || name === 'oversize' ? { forward_remote_events: false, forward_remote_invocations: false } : {}),
      transport: { type: 'websocket', endpoint: { type: 'tcp', host: '127.0.0.1', port: fake.port, timeout: 1 }, url: `ws://127.0.0.1:${fake.port}/${name}`, serializers: ['json'] },
    }));
    const config = loadDocument({
      version: 2,
      workers: [{
        type: 'router',
        realms: [{ name: 'realm1', roles: [disclosing, { ...disclosing, name: 'rlink' }], rlinks }],
        transports: [{
          type: 'web', id: 'test', endpoint: { type: 'tcp', port: 0, interface: '127.0.0.1' },
          paths: { ws: { type: 'websocket' }, link: { type: 'websocket', auth: { ticket: { type: 'static', principals: { 'node-y': { ticket: 'y-ticket', role: 'rlink' } } } } } },
        }],
      }],
    });
    fuzzed = await startFuzzedNode(config, log);
  });
  after(async () => {
    await fuzzed?.stop();
    await fake?.close();
  });

  it('an other router that answers garbage, broken WAMP, hostile events and invocations, an ABORT or nothing: each link connects again, the node carries on', { timeout: 60_000 }, async () => {
    // Each link's first attempt, then one after its backoff (1 s, then 1.5 s: a link that never got a session waits longer each time).
    for (const name of Object.keys(behaviours).filter((name) => name !== 'impostor')) {
      await waitFor(() => (fake.connections.get(name) ?? 0) >= 2, `the link "${name}" to connect again (connections: ${JSON.stringify([...fake.connections])})`, 20_000);
    }
    await fuzzed.bystander.works('while the links fail');
    fuzzed.watch.assertQuiet('hostile other routers');
    assert.ok(!log.text().includes(TICKET), 'the link\'s ticket was logged');
    // An other router's ABORT carries a 100,000-character message: the log keeps the start of it.
    const longest = log.lines.reduce((most, line) => (JSON.stringify(line).length > JSON.stringify(most).length ? line : most));
    assert.ok(JSON.stringify(longest).length < 2_000, `a log line of ${JSON.stringify(longest).length} characters: ${JSON.stringify(longest).slice(0, 300)}`);
    assert.ok(fake.received.some((message) => message[0] === T.AUTHENTICATE && message[1] === TICKET), 'the links signed in with their ticket');
    const oversize = log.lines.filter((line) => line.fields.rlink === 'oversize').map((line) => JSON.stringify(line));
    assert.ok(oversize.some((line) => line.includes('code 1009: the other router sent a message larger than 1048576 bytes')), oversize.join('\n'));
  });

  it('an other router cannot use a link to publish on topics or call procedures it did not mirror (found by this suite)', { timeout: 30_000 }, async () => {
    const forged: unknown[] = [];
    await fuzzed.bystander.open.session.subscribe('victim.topic', (args: unknown[]) => forged.push(args[0]));
    await waitFor(() => fake.received.some((message) => message[0] === T.ERROR && message[2] === 7001 || message[0] === T.YIELD && message[1] === 7001),
      `the link's answer to the invocation for another procedure (received: ${JSON.stringify(fake.received.filter((message) => message[0] === T.ERROR || message[0] === T.YIELD))})`, 15_000);
    const answer = fake.received.find((message) => (message[0] === T.ERROR && message[2] === 7001) || (message[0] === T.YIELD && message[1] === 7001))!;
    assert.deepEqual([answer[0], answer[4]], [T.ERROR, 'wamp.error.not_authorized'], `the link called a procedure its registration does not cover: ${JSON.stringify(answer)}`);
    // The event went to the link's subscription of bystander.events; give it the time to arrive.
    await fuzzed.bystander.works('after the impostor');
    assert.deepEqual(forged, [], 'the link published on a topic its subscription does not cover');
  });

  /** A raw session on realm1: anonymous on /ws, or of role "rlink" on /link (ticket sign-in). */
  async function rawSession(role: 'anonymous' | 'rlink'): Promise<RawClient> {
    const port = fuzzed.node.ports.get('test')!;
    const client = await RawClient.open(`ws://127.0.0.1:${port}/${role === 'rlink' ? 'link' : 'ws'}`);
    if (role === 'anonymous') {
      await client.hello();
      return client;
    }
    client.send([T.HELLO, 'realm1', { roles: { publisher: {}, subscriber: {} }, authmethods: ['ticket'], authid: 'node-y' }]);
    await client.next((message) => message[0] === T.CHALLENGE);
    client.send([T.AUTHENTICATE, 'y-ticket', {}]);
    const welcomed = await client.next((message) => message[0] === T.WELCOME);
    assert.equal((welcomed[2] as { authrole: string }).authrole, 'rlink');
    return client;
  }

  it('forward_for: a malformed one is refused; a good one is delivered, with the sender appended, naming the original publisher only when a link sent it; every session stays open', { timeout: fuzzTimeout(60_000) }, async () => {
    const listener = await rawSession('anonymous');
    listener.send([T.SUBSCRIBE, 1, {}, 'app.topic']);
    await listener.next((message) => message[0] === T.SUBSCRIBED);
    const poser = await rawSession('anonymous');
    const link = await rawSession('rlink');
    let request = 10;
    await checkFuzz('forward_for', fc.asyncProperty(forwardFor, fc.boolean(), async (value, fromLink) => {
      request += 1;
      const sender = fromLink ? link : poser;
      const mark = `event-${request}`;
      sender.send([T.PUBLISH, request, { acknowledge: true, forward_for: value }, 'app.topic', [mark]]);
      const answer = await sender.next((message) => (message[0] === T.ERROR && message[2] === request) || (message[0] === T.PUBLISHED && message[1] === request));
      const what = `${fromLink ? 'link' : 'poser'}: ${String(JSON.stringify(value)).slice(0, 200)} -> ${JSON.stringify(answer).slice(0, 300)}`;
      if (value === undefined || value === null) return assert.equal(answer[0], T.PUBLISHED, what);
      if (!isGoodForwardFor(value)) return assert.deepEqual([answer[0], answer[4]], [T.ERROR, 'wamp.error.invalid_argument'], what);
      assert.equal(answer[0], T.PUBLISHED, what);
      const event = await listener.next((message) => message[0] === T.EVENT && (message[4] as unknown[])[0] === mark);
      const forwarded = (event[3] as { forward_for: { authrole: string }[] }).forward_for;
      assert.equal(forwarded.length, value.length + 1, `the sender is appended to forward_for: ${what}`);
      assert.equal(forwarded.at(-1)!.authrole, fromLink ? 'rlink' : 'anonymous', what);
    }), 60);
    for (const [name, client] of [['listener', listener], ['poser', poser], ['link', link]] as const) assert.equal(client.closeCode, undefined, `the ${name}'s session stays open`);
    // The router vouches for the sender it names: a session that is no link never has another named.
    const posed = listener.messages.filter((message) => {
      const details = message[3] as { forward_for?: { authrole: string }[]; publisher_authrole?: string };
      return message[0] === T.EVENT && details.forward_for?.at(-1)?.authrole === 'anonymous' && details.publisher_authrole !== undefined && details.publisher_authrole !== 'anonymous';
    });
    assert.deepEqual(posed, [], 'an event naming a publisher its sender claimed was delivered');
    for (const client of [listener, poser, link]) client.close();
    await fuzzed.bystander.works('after the posing');
    fuzzed.watch.assertQuiet('forward_for fuzzing');
  });

  it('the node stops with its links mid-retry: no socket is left open on the other router', { timeout: 30_000 }, async () => {
    await fuzzed.stop();
    fuzzed = undefined as unknown as FuzzedNode;
    await waitFor(() => fake.openSockets === 0, `the links' sockets to close (open: ${fake.openSockets})`, 10_000);
  });
});
