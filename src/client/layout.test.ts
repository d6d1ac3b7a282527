import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageType as T } from '../protocol/codes.js';
import { toWire, type WampMessage } from '../protocol/messages.js';
import { parseMessage } from '../protocol/parse.js';
import { decodeMessage, encodeMessage } from './layout.js';

// What the client sends, with and without payloads: its encoding must equal the protocol layer's.
const sent: WampMessage[] = [
  { type: T.HELLO, realm: 'realm1', details: { roles: {} } },
  { type: T.ABORT, details: { message: 'x' }, reason: 'wamp.error.protocol_violation' },
  { type: T.AUTHENTICATE, signature: 'sig', extra: {} },
  { type: T.GOODBYE, details: {}, reason: 'wamp.close.close_realm' },
  { type: T.ERROR, requestType: T.INVOCATION, request: 3, details: {}, error: 'com.err', args: ['a'], kwargs: { k: 1 } },
  { type: T.ERROR, requestType: T.INVOCATION, request: 3, details: {}, error: 'com.err' },
  { type: T.PUBLISH, request: 1, options: {}, topic: 'com.t' },
  { type: T.PUBLISH, request: 1, options: { acknowledge: true }, topic: 'com.t', args: [1, 'two'] },
  { type: T.PUBLISH, request: 1, options: {}, topic: 'com.t', kwargs: { only: 'kwargs' } },
  { type: T.SUBSCRIBE, request: 2, options: { match: 'prefix' }, topic: 'com.' },
  { type: T.UNSUBSCRIBE, request: 4, subscription: 2 ** 53 },
  { type: T.CALL, request: 5, options: { receive_progress: true }, procedure: 'com.add', args: [1, 2], kwargs: {} },
  { type: T.CANCEL, request: 5, options: { mode: 'kill' } },
  { type: T.REGISTER, request: 6, options: { invoke: 'roundrobin' }, procedure: 'com.add' },
  { type: T.UNREGISTER, request: 7, registration: 9 },
  { type: T.YIELD, request: 8, options: { progress: true }, args: [] },
  { type: T.YIELD, request: 8, options: {} },
];

// What a router sends, as wire arrays: the client must decode them as the protocol layer parses them.
const received: unknown[][] = [
  [T.WELCOME, 12, { authid: 'a' }],
  [T.ABORT, { message: 'no' }, 'wamp.error.no_such_realm'],
  [T.CHALLENGE, 'wampcra', { challenge: 'c' }],
  [T.GOODBYE, {}, 'wamp.close.system_shutdown'],
  [T.ERROR, T.CALL, 5, {}, 'com.error', ['why'], { code: 1 }],
  [T.PUBLISHED, 1, 99],
  [T.SUBSCRIBED, 2, 17],
  [T.UNSUBSCRIBED, 4],
  [T.UNSUBSCRIBED, 0, { subscription: 17, reason: 'wamp.error.revoked' }],
  [T.EVENT, 17, 99, {}],
  [T.EVENT, 17, 99, { topic: 'com.x' }, ['a'], { b: 2 }],
  [T.RESULT, 5, { progress: true }, [1]],
  [T.REGISTERED, 6, 9],
  [T.UNREGISTERED, 7],
  [T.INVOCATION, 8, 9, { caller: 3 }, [1, 2]],
  [T.INTERRUPT, 8, { mode: 'killnowait' }],
];

describe('client wire layout', () => {
  it('encodes every message the client sends exactly as protocol toWire does', () => {
    for (const message of sent) assert.deepEqual(encodeMessage(message), toWire(message), JSON.stringify(message));
  });

  it('decodes every message a router sends as protocol parseMessage does', () => {
    for (const wire of received) {
      const ours = decodeMessage(wire);
      const theirs = parseMessage(wire);
      assert.ok(typeof ours !== 'string' && theirs.ok, JSON.stringify(wire));
      assert.deepEqual(ours, theirs.message, JSON.stringify(wire));
    }
  });

  it('refuses what a router must not send, naming the element at fault', () => {
    const cases: [unknown, string][] = [
      ['nope', 'a message must be a list'],
      [[T.CALL, 1, {}, 'com.x'], 'unexpected message type 48'],
      [[99], 'unexpected message type 99'],
      [[T.PUBLISHED, 1], 'message type 17 must have 3 to 3 elements, got 2'],
      [[T.EVENT, 1, 2, {}, [], {}, 'extra'], 'message type 36 must have 4 to 6 elements, got 7'],
      [[T.EVENT, 0, 2, {}], 'message type 36: subscription (element 1) must be an ID'],
      [[T.EVENT, 1, 2, []], 'message type 36: details (element 3) must be a dict'],
      [[T.RESULT, 1, {}, { not: 'a list' }], 'message type 50: args (element 3) must be a list'],
      [[T.RESULT, 1, {}, [], 'not a dict'], 'message type 50: kwargs (element 4) must be a dict'],
      [[T.WELCOME, 2 ** 53 + 2, {}], 'message type 2: session (element 1) must be an ID'],
      [[T.ERROR, 'x', 1, {}, 'e'], 'message type 8: requestType (element 1) must be an integer'],
    ];
    for (const [wire, error] of cases) assert.equal(decodeMessage(wire), error, JSON.stringify(wire));
  });
});
