import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageType } from './codes.js';
import { toWire, type WampMessage } from './messages.js';
import { parseMessage } from './parse.js';

const MAX_ID = 2 ** 53;
const bytes = new Uint8Array([0xde, 0xad, 0xbe, 0xef]);

/** One well-formed wire array per case, and the typed message it must parse to. */
const valid: { name: string; wire: unknown[]; message: WampMessage }[] = [
  {
    name: 'HELLO',
    wire: [1, 'realm1', { roles: { subscriber: {} }, authmethods: ['ticket'] }],
    message: { type: 1, realm: 'realm1', details: { roles: { subscriber: {} }, authmethods: ['ticket'] } },
  },
  {
    name: 'WELCOME with the largest ID',
    wire: [2, MAX_ID, { roles: { broker: {} } }],
    message: { type: 2, session: MAX_ID, details: { roles: { broker: {} } } },
  },
  {
    name: 'ABORT',
    wire: [3, { message: 'no such realm' }, 'wamp.error.no_such_realm'],
    message: { type: 3, details: { message: 'no such realm' }, reason: 'wamp.error.no_such_realm' },
  },
  {
    name: 'CHALLENGE',
    wire: [4, 'wampcra', { challenge: '{"nonce":1}' }],
    message: { type: 4, authMethod: 'wampcra', extra: { challenge: '{"nonce":1}' } },
  },
  {
    name: 'AUTHENTICATE',
    wire: [5, 'c2lnbmF0dXJl', {}],
    message: { type: 5, signature: 'c2lnbmF0dXJl', extra: {} },
  },
  {
    name: 'GOODBYE',
    wire: [6, {}, 'wamp.close.normal'],
    message: { type: 6, details: {}, reason: 'wamp.close.normal' },
  },
  {
    name: 'ERROR without payload',
    wire: [8, 32, 77, {}, 'wamp.error.not_authorized'],
    message: { type: 8, requestType: 32, request: 77, details: {}, error: 'wamp.error.not_authorized' },
  },
  {
    name: 'ERROR with args and kwargs',
    wire: [8, 68, 5, {}, 'app.error.bad_input', ['too big'], { limit: 10 }],
    message: {
      type: 8, requestType: 68, request: 5, details: {}, error: 'app.error.bad_input',
      args: ['too big'], kwargs: { limit: 10 },
    },
  },
  {
    name: 'PUBLISH without payload',
    wire: [16, 1, {}, 'com.app.signal'],
    message: { type: 16, request: 1, options: {}, topic: 'com.app.signal' },
  },
  {
    name: 'PUBLISH with args',
    wire: [16, 2, { acknowledge: true }, 'com.app.topic', [1, 'two']],
    message: { type: 16, request: 2, options: { acknowledge: true }, topic: 'com.app.topic', args: [1, 'two'] },
  },
  {
    name: 'PUBLISH with args and kwargs',
    wire: [16, 3, {}, 'com.app.topic', [], { a: 1 }],
    message: { type: 16, request: 3, options: {}, topic: 'com.app.topic', args: [], kwargs: { a: 1 } },
  },
  {
    name: 'PUBLISH with a passthru payload',
    wire: [16, 4, { ppt_scheme: 'x_custom' }, 'com.app.topic', bytes],
    message: { type: 16, request: 4, options: { ppt_scheme: 'x_custom' }, topic: 'com.app.topic', payload: bytes },
  },
  {
    name: 'PUBLISHED',
    wire: [17, 2, 5512315355],
    message: { type: 17, request: 2, publication: 5512315355 },
  },
  {
    name: 'SUBSCRIBE',
    wire: [32, 9, { match: 'wildcard' }, 'com..update'],
    message: { type: 32, request: 9, options: { match: 'wildcard' }, topic: 'com..update' },
  },
  {
    name: 'SUBSCRIBED',
    wire: [33, 9, 4242],
    message: { type: 33, request: 9, subscription: 4242 },
  },
  {
    name: 'UNSUBSCRIBE',
    wire: [34, 10, 4242],
    message: { type: 34, request: 10, subscription: 4242 },
  },
  {
    name: 'UNSUBSCRIBED',
    wire: [35, 10],
    message: { type: 35, request: 10 },
  },
  {
    name: 'UNSUBSCRIBED revoking a subscription (request 0)',
    wire: [35, 0, { subscription: 4242, reason: 'no longer authorized' }],
    message: { type: 35, request: 0, details: { subscription: 4242, reason: 'no longer authorized' } },
  },
  {
    name: 'EVENT',
    wire: [36, 4242, 8888, { publisher: 7 }, ['hi'], { mood: 'good' }],
    message: { type: 36, subscription: 4242, publication: 8888, details: { publisher: 7 }, args: ['hi'], kwargs: { mood: 'good' } },
  },
  {
    name: 'CALL',
    wire: [48, 11, { timeout: 1000 }, 'com.app.add', [2, 3]],
    message: { type: 48, request: 11, options: { timeout: 1000 }, procedure: 'com.app.add', args: [2, 3] },
  },
  {
    name: 'CANCEL',
    wire: [49, 11, { mode: 'kill' }],
    message: { type: 49, request: 11, options: { mode: 'kill' } },
  },
  {
    name: 'RESULT',
    wire: [50, 11, { progress: true }, [5]],
    message: { type: 50, request: 11, details: { progress: true }, args: [5] },
  },
  {
    name: 'REGISTER',
    wire: [64, 12, { invoke: 'roundrobin' }, 'com.app.add'],
    message: { type: 64, request: 12, options: { invoke: 'roundrobin' }, procedure: 'com.app.add' },
  },
  {
    name: 'REGISTERED',
    wire: [65, 12, 3131],
    message: { type: 65, request: 12, registration: 3131 },
  },
  {
    name: 'UNREGISTER',
    wire: [66, 13, 3131],
    message: { type: 66, request: 13, registration: 3131 },
  },
  {
    name: 'UNREGISTERED',
    wire: [67, 13],
    message: { type: 67, request: 13 },
  },
  {
    name: 'UNREGISTERED revoking a registration (request 0)',
    wire: [67, 0, { registration: 3131 }],
    message: { type: 67, request: 0, details: { registration: 3131 } },
  },
  {
    name: 'INVOCATION',
    wire: [68, 14, 3131, { caller: 7 }, [2, 3]],
    message: { type: 68, request: 14, registration: 3131, details: { caller: 7 }, args: [2, 3] },
  },
  {
    name: 'INTERRUPT',
    wire: [69, 14, { mode: 'killnowait' }],
    message: { type: 69, request: 14, options: { mode: 'killnowait' } },
  },
  {
    name: 'YIELD',
    wire: [70, 14, {}, [5], { exact: true }],
    message: { type: 70, request: 14, options: {}, args: [5], kwargs: { exact: true } },
  },
];

/** One broken rule per case; `mentions` are words the error text must contain. */
const malformed: { rule: string; input: unknown; mentions: string[] }[] = [
  // The envelope
  { rule: 'a string instead of a list', input: '[1,"realm1",{}]', mentions: ['list', 'a string'] },
  { rule: 'a dict instead of a list', input: { type: 1 }, mentions: ['list', 'a dict'] },
  { rule: 'null instead of a list', input: null, mentions: ['list', 'null'] },
  { rule: 'binary instead of a list', input: bytes, mentions: ['list', 'binary'] },
  { rule: 'an empty list', input: [], mentions: ['empty list'] },
  { rule: 'a string type code', input: ['1', 'realm1', {}], mentions: ['type code', 'a string'] },
  { rule: 'a fractional type code', input: [1.5, 'realm1', {}], mentions: ['type code', '1.5'] },
  { rule: 'an unknown type code', input: [7, {}], mentions: ['unknown', '7'] },
  { rule: 'an unknown large type code', input: [337, 5512315355], mentions: ['unknown', '337'] },
  // Arity
  { rule: 'too few elements', input: [16, 1, {}], mentions: ['PUBLISH', '4 to 6', 'got 3'] },
  { rule: 'too many elements', input: [17, 1, 2, 3], mentions: ['PUBLISHED', 'must have 3', 'got 4'] },
  { rule: 'too many elements after a payload', input: [50, 1, {}, [], {}, 'extra'], mentions: ['RESULT', '3 to 5', 'got 6'] },
  { rule: 'a type code alone', input: [1], mentions: ['HELLO', 'got 1'] },
  // IDs
  { rule: 'ID 0', input: [17, 0, 1], mentions: ['PUBLISHED', 'request', 'element 1', 'integer 0'] },
  // 2^53 + 1 is not representable as a double (it rounds to 2^53), so the first unrepresentable-as-ID
  // double above the range is 2^53 + 2; a decoder may also hand over the exact value as a BigInt.
  { rule: 'ID 2^53 + 2', input: [17, 1, MAX_ID + 2], mentions: ['PUBLISHED', 'publication', '1..2^53'] },
  { rule: 'ID 2^53 + 1 as a BigInt', input: [2, 2n ** 53n + 1n, {}], mentions: ['WELCOME', 'session', 'bigint'] },
  { rule: 'a negative ID', input: [33, -1, 5], mentions: ['SUBSCRIBED', 'request', '-1'] },
  { rule: 'a fractional ID', input: [65, 1.5, 5], mentions: ['REGISTERED', 'request', '1.5'] },
  { rule: 'an ID as a string', input: [34, 1, '5'], mentions: ['UNSUBSCRIBE', 'subscription', 'a string'] },
  { rule: 'an infinite ID', input: [66, 1, Infinity], mentions: ['UNREGISTER', 'registration'] },
  { rule: 'request 0 outside a revocation', input: [48, 0, {}, 'com.app.add'], mentions: ['CALL', 'request', 'integer 0'] },
  { rule: 'a revocation without Details', input: [35, 0], mentions: ['UNSUBSCRIBED', 'request 0', 'Details'] },
  // Dicts
  { rule: 'HELLO details as a list', input: [1, 'realm1', []], mentions: ['HELLO', 'details', 'a list'] },
  { rule: 'PUBLISH options as null', input: [16, 1, null, 'com.app.topic'], mentions: ['PUBLISH', 'options', 'null'] },
  { rule: 'EVENT details as binary', input: [36, 1, 2, bytes], mentions: ['EVENT', 'details', 'binary'] },
  { rule: 'WELCOME details as a string', input: [2, 1, 'roles'], mentions: ['WELCOME', 'details', 'a string'] },
  { rule: 'CHALLENGE extra as a Date (cbor tag 1)', input: [4, 'ticket', new Date(0)], mentions: ['CHALLENGE', 'extra', 'a Date object'] },
  { rule: 'UNREGISTERED details as a list', input: [67, 0, []], mentions: ['UNREGISTERED', 'details', 'a list'] },
  // URIs and strings
  { rule: 'a topic that is not a string', input: [32, 1, {}, 42], mentions: ['SUBSCRIBE', 'topic', 'integer 42'] },
  { rule: 'a null procedure', input: [48, 1, {}, null], mentions: ['CALL', 'procedure', 'null'] },
  { rule: 'a realm that is a list', input: [1, [], {}], mentions: ['HELLO', 'realm', 'a list'] },
  { rule: 'a CHALLENGE auth method that is not a string', input: [4, 1, {}], mentions: ['CHALLENGE', 'authMethod'] },
  { rule: 'an AUTHENTICATE signature that is not a string', input: [5, null, {}], mentions: ['AUTHENTICATE', 'signature'] },
  // Reason URIs, checked by the parser because no reply could carry the error
  { rule: 'an ABORT reason with a space', input: [3, {}, 'no such realm'], mentions: ['ABORT', 'reason', 'URI'] },
  { rule: 'a GOODBYE reason with an empty component', input: [6, {}, 'wamp..normal'], mentions: ['GOODBYE', 'reason'] },
  { rule: 'an empty GOODBYE reason', input: [6, {}, ''], mentions: ['GOODBYE', 'reason'] },
  { rule: 'an ERROR URI with a "#"', input: [8, 48, 1, {}, 'app#error'], mentions: ['ERROR', 'error', 'URI'] },
  { rule: 'an ABORT reason that is not a string', input: [3, {}, 42], mentions: ['ABORT', 'reason'] },
  // ERROR's request type
  { rule: 'an ERROR for an unknown request type', input: [8, 99, 1, {}, 'app.error'], mentions: ['ERROR', 'requestType', '99'] },
  { rule: 'an ERROR request type as a string', input: [8, '48', 1, {}, 'app.error'], mentions: ['ERROR', 'requestType', 'a string'] },
  // Payload
  { rule: 'args as a dict', input: [16, 1, {}, 'com.app.topic', { a: 1 }], mentions: ['PUBLISH', 'Arguments', 'a dict'] },
  { rule: 'args as a string', input: [50, 1, {}, 'five'], mentions: ['RESULT', 'Arguments', 'a string'] },
  { rule: 'kwargs as a list', input: [48, 1, {}, 'com.app.add', [], [1]], mentions: ['CALL', 'ArgumentsKw', 'a list'] },
  { rule: 'kwargs as null', input: [70, 1, {}, [], null], mentions: ['YIELD', 'ArgumentsKw', 'null'] },
  {
    rule: 'a binary payload without ppt_scheme',
    input: [36, 1, 2, {}, bytes],
    mentions: ['EVENT', 'Arguments', 'binary', 'details.ppt_scheme'],
  },
  {
    rule: 'a passthru payload followed by kwargs',
    input: [48, 1, { ppt_scheme: 'wamp' }, 'com.app.add', bytes, {}],
    mentions: ['CALL', 'passthru payload', 'got 6'],
  },
];

describe('parseMessage: valid messages', () => {
  for (const { name, wire, message } of valid) {
    test(name, () => {
      assert.deepEqual(parseMessage(wire), { ok: true, message });
    });
  }

  test('the table covers every message type', () => {
    const covered = new Set(valid.map((c) => c.message.type));
    for (const [name, code] of Object.entries(MessageType)) assert.ok(covered.has(code), `no valid case for ${name}`);
  });
});

describe('parseMessage: malformed messages', () => {
  for (const { rule, input, mentions } of malformed) {
    test(rule, () => {
      const result = parseMessage(input);
      assert.equal(result.ok, false, `accepted: ${String(input)}`);
      if (result.ok) return;
      for (const word of mentions) assert.ok(result.error.includes(word), `"${result.error}" does not mention "${word}"`);
    });
  }

  test('any element replaced by null is rejected, naming the message type and the element', () => {
    for (const { wire } of valid) {
      const name = Object.entries(MessageType).find(([, code]) => code === wire[0])![0];
      for (let i = 1; i < wire.length; i++) {
        if (wire[0] === MessageType.HELLO && i === 1) continue; // a null realm is allowed: the next test
        const broken = wire.slice();
        broken[i] = null;
        const result = parseMessage(broken);
        assert.equal(result.ok, false, `accepted ${name} with element ${i} null`);
        if (!result.ok) {
          assert.ok(result.error.includes(name), result.error);
          assert.ok(result.error.includes(`element ${i}`), result.error);
        }
      }
    }
  });
});

test('HELLO may name no realm (null), as Autobahn|Python sends it for the router to assign one', () => {
  const result = parseMessage([MessageType.HELLO, null, { roles: {} }]);
  assert.ok(result.ok && result.message.type === MessageType.HELLO && result.message.realm === null);
  const wrong = parseMessage([MessageType.HELLO, 7, { roles: {} }]);
  assert.ok(!wrong.ok && wrong.error.includes('a URI string or null'), JSON.stringify(wrong));
});

describe('parseMessage: URIs are left to the router', () => {
  // An empty or malformed URI is answered with ERROR (ABORT for HELLO) wamp.error.invalid_uri by the
  // router, which knows the realm's URI rules; only the type of the element is the parser's concern.
  for (const wire of [[1, '', { roles: {} }], [16, 1, {}, ''], [32, 1, {}, ''], [48, 1, {}, 'has space'], [64, 1, {}, '']]) {
    test(`${JSON.stringify(wire)} parses`, () => {
      assert.equal(parseMessage(wire).ok, true);
    });
  }
});

describe('toWire', () => {
  for (const { name, wire, message } of valid) {
    test(`${name}: gives the wire array back, and parses to an equal message`, () => {
      assert.deepEqual(toWire(message), wire);
      assert.deepEqual(parseMessage(toWire(message)), { ok: true, message });
    });
  }

  test('kwargs without args write an empty args list before them', () => {
    const wire = toWire({ type: 48, request: 1, options: {}, procedure: 'com.app.add', kwargs: { a: 1 } });
    assert.deepEqual(wire, [48, 1, {}, 'com.app.add', [], { a: 1 }]);
  });

  test('no args and no kwargs write neither', () => {
    assert.deepEqual(toWire({ type: 50, request: 1, details: {} }), [50, 1, {}]);
    assert.deepEqual(toWire({ type: 8, requestType: 48, request: 1, details: {}, error: 'app.error' }), [8, 48, 1, {}, 'app.error']);
  });

  test('a passthru payload is written alone, in the place of args', () => {
    const message: WampMessage = { type: 70, request: 1, options: { ppt_scheme: 'wamp' }, payload: bytes, args: ['ignored'] };
    assert.deepEqual(toWire(message), [70, 1, { ppt_scheme: 'wamp' }, bytes]);
  });
});
