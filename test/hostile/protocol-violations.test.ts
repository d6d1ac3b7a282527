import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MessageType } from '../../src/protocol/codes.js';
import { RawClient } from '../support/raw-client.js';
import { startTestNode, testConfig, webSocketPath } from '../support/node.js';

/**
 * Protocol violations, per message type and per session state, over a real WebSocket: each one
 * ends only its own session, with ABORT wamp.error.protocol_violation and a message that says
 * what was wrong, and the connection closes. A subscriber and a publisher that joined first keep
 * exchanging events after every case.
 */

const config = testConfig();
const anonymous = webSocketPath(config);
config.listeners[0]!.paths['/ticket'] = {
  ...anonymous,
  auth: { ticket: { type: 'static', principals: { joe: { ticket: 'secret', role: 'anonymous' } } } },
};
const node = await startTestNode(config);
after(() => node.stop());
const ticketUrl = node.url.replace(/\/ws$/, '/ticket');

type TypeName = keyof typeof MessageType;

/** One well-formed message of every type, as a client could put it on the wire. */
const sample: Record<TypeName, unknown[]> = {
  HELLO: [1, 'realm1', { roles: { subscriber: {} } }],
  WELCOME: [2, 1, {}],
  ABORT: [3, {}, 'wamp.close.normal'],
  CHALLENGE: [4, 'ticket', {}],
  AUTHENTICATE: [5, 'signature', {}],
  GOODBYE: [6, {}, 'wamp.close.close_realm'],
  ERROR: [8, 48, 1, {}, 'app.error'],
  PUBLISH: [16, 1, {}, 'app.topic'],
  PUBLISHED: [17, 1, 2],
  SUBSCRIBE: [32, 1, {}, 'app.topic'],
  SUBSCRIBED: [33, 1, 2],
  UNSUBSCRIBE: [34, 1, 2],
  UNSUBSCRIBED: [35, 1],
  EVENT: [36, 1, 2, {}],
  CALL: [48, 1, {}, 'app.proc'],
  CANCEL: [49, 1, {}],
  RESULT: [50, 1, {}],
  REGISTER: [64, 1, {}, 'app.proc'],
  REGISTERED: [65, 1, 2],
  UNREGISTER: [66, 1, 2],
  UNREGISTERED: [67, 1],
  INVOCATION: [68, 1, 2, {}],
  INTERRUPT: [69, 1, {}],
  YIELD: [70, 1, {}],
};
const typeNames = Object.keys(sample) as TypeName[];

/** Messages only a router sends. */
const routerToClient: TypeName[] = [
  'WELCOME', 'CHALLENGE', 'PUBLISHED', 'SUBSCRIBED', 'UNSUBSCRIBED', 'EVENT', 'RESULT', 'REGISTERED', 'UNREGISTERED', 'INVOCATION', 'INTERRUPT',
];

type State = 'before HELLO' | 'during the auth challenge' | 'established' | 'after GOODBYE';

/** A fresh connection brought into `state`. */
async function connectionIn(state: State): Promise<RawClient> {
  if (state === 'during the auth challenge') {
    const client = await RawClient.open(ticketUrl);
    client.send([1, 'realm1', { roles: { subscriber: {} }, authmethods: ['ticket'], authid: 'joe' }]);
    const challenge = await client.next();
    assert.equal(challenge[0], MessageType.CHALLENGE, JSON.stringify(challenge));
    return client;
  }
  const client = await RawClient.open(node.url);
  if (state === 'before HELLO') return client;
  assert.equal((await client.hello())[0], MessageType.WELCOME);
  if (state === 'established') return client;
  client.send(sample.GOODBYE);
  assert.equal((await client.next())[0], MessageType.GOODBYE);
  return client;
}

/** The violations of `state`: each message type it refuses, with the reason the ABORT must give. */
function violationsIn(state: State): [TypeName, unknown[], RegExp][] {
  switch (state) {
    case 'before HELLO':
    case 'after GOODBYE':
      return typeNames.filter((name) => name !== 'HELLO' && name !== 'ABORT')
        .map((name) => [name, sample[name], new RegExp(`^${name} received before HELLO$`)]);
    case 'during the auth challenge':
      return typeNames.filter((name) => name !== 'AUTHENTICATE' && name !== 'ABORT')
        .map((name) => [name, sample[name], new RegExp(`^${name} received while waiting for AUTHENTICATE$`)]);
    case 'established':
      return [
        ['HELLO', sample.HELLO, /^HELLO received on an established session$/],
        ['AUTHENTICATE', sample.AUTHENTICATE, /^AUTHENTICATE is not a message a client may send to a router$/],
        ['ERROR', sample.ERROR, /^ERROR from a client must answer an INVOCATION \(request type 68\), got request type 48$/],
        ...routerToClient.map((name): [TypeName, unknown[], RegExp] =>
          [name, sample[name], new RegExp(`^${name} is not a message a client may send to a router$`)]),
      ];
  }
}

/** Sends `message` and expects this connection's session to be aborted with `reason`, and closed. */
async function abortedWith(client: RawClient, message: unknown, reason: RegExp): Promise<void> {
  client.send(message);
  const abort = await client.next((m) => m[0] === MessageType.ABORT);
  assert.equal(abort[2], 'wamp.error.protocol_violation');
  assert.match(String((abort[1] as { message?: unknown }).message), reason);
  await client.closed;
}

// Two sessions joined before every case and checked after each one.
let subscriber: RawClient;
let publisher: RawClient;
let publications = 0;

before(async () => {
  subscriber = await RawClient.open(node.url);
  await subscriber.hello();
  subscriber.send([32, 1, {}, 'bystander.news']);
  assert.equal((await subscriber.next())[0], MessageType.SUBSCRIBED);
  publisher = await RawClient.open(node.url);
  await publisher.hello();
});
after(() => {
  subscriber.close();
  publisher.close();
});

async function bystandersStillServed(): Promise<void> {
  const n = ++publications;
  publisher.send([16, n, { acknowledge: true }, 'bystander.news', [n]]);
  assert.equal((await publisher.next((m) => m[1] === n))[0], MessageType.PUBLISHED);
  const event = await subscriber.next((m) => m[0] === MessageType.EVENT);
  assert.deepEqual(event[4], [n]);
}

const violationMetric = (): number => {
  const line = node.metrics.exposition().split('\n').find((l) => l.startsWith('junction_protocol_violations_total'));
  return line ? Number(line.split(' ').pop()) : 0;
};

const states: State[] = ['before HELLO', 'during the auth challenge', 'established', 'after GOODBYE'];

for (const state of states) {
  describe(`protocol violations ${state}`, () => {
    for (const [name, message, reason] of violationsIn(state)) {
      it(`${name} ends only this session`, async () => {
        const client = await connectionIn(state);
        const counted = violationMetric();
        await abortedWith(client, message, reason);
        assert.equal(violationMetric(), counted + 1, 'counted in junction_protocol_violations_total');
        await bystandersStillServed();
      });
    }

    it('ABORT from the client ends the session and the connection, with no ABORT back', async () => {
      const client = await connectionIn(state);
      const counted = violationMetric();
      client.send(sample.ABORT);
      await client.closed;
      assert.ok(!client.messages.some((m) => m[0] === MessageType.ABORT), JSON.stringify(client.messages));
      assert.equal(violationMetric(), counted, 'not a violation');
      await bystandersStillServed();
    });
  });
}

describe('malformed messages of every type, on an established session', () => {
  for (const name of typeNames) {
    it(`${name} with only its type code is aborted, naming the type and its arity`, async () => {
      const client = await connectionIn('established');
      await abortedWith(client, [MessageType[name]], new RegExp(`^${name} must have \\d+( to \\d+)? elements, got 1$`));
      await bystandersStillServed();
    });
  }

  const garbage: [string, unknown, RegExp][] = [
    ['text that is not JSON', '[16, 1, {', /could not decode the message as json/],
    ['a dict instead of a list', '{"type": 16}', /^a WAMP message must be a list, got a dict$/],
    ['an empty list', '[]', /^a WAMP message must not be an empty list$/],
    ['an unknown type code', '[999, 1, {}]', /^unknown WAMP message type 999$/],
    ['a type code that is a string', '["16", 1, {}, "t"]', /first element of a WAMP message must be its integer type code, got a string/],
    ['an ID beyond 2^53', '[16, 18014398509481984, {}, "t"]', /^PUBLISH request \(element 1\) must be an integer ID in 1\.\.2\^53/],
    ['kwargs that are a list', '[48, 1, {}, "app.proc", [], []]', /^CALL ArgumentsKw \(element 5\) must be a dict, got a list$/],
    ['a GOODBYE reason that is not a URI', '[6, {}, "not a uri"]', /^GOODBYE reason \(element 2\) must be a URI/],
  ];
  for (const [what, message, reason] of garbage) {
    it(`${what} is aborted with its reason`, async () => {
      const client = await connectionIn('established');
      await abortedWith(client, message, reason);
      await bystandersStillServed();
    });
  }
});
