import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_EVENT_NAME, EventDataRefusal, toPublication, toPusherEvent } from './payload.js';

/** The router's max_nesting_depth in these tests. */
const depth = 10;

describe('pusher payload mapping', () => {
  it('refuses data nested deeper than max_nesting_depth (the data is one level), naming the limit; encrypted data is not read', () => {
    const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
    assert.equal(toPublication('e', nested(10), 'private', depth).args.length, 1);
    assert.throws(() => toPublication('e', nested(11), 'private', depth), (error: Error) =>
      error instanceof EventDataRefusal && /more than 10 levels deep \(the router's max_nesting_depth\)/.test(error.message));
    assert.throws(() => toPublication('e', JSON.parse(nested(11)), 'public', depth), EventDataRefusal, 'data sent as an object already');
    assert.deepEqual(toPublication('e', nested(11), 'encrypted', depth).args, [nested(11)]);
  });

  it('decodes JSON text into args[0] and names the event in kwargs', () => {
    assert.deepEqual(toPublication('e', '{"a":1}', 'public', depth), { args: [{ a: 1 }], kwargs: { event: 'e' } });
    assert.deepEqual(toPublication('e', 'plain', 'private', depth), { args: ['plain'], kwargs: { event: 'e' } });
    assert.deepEqual(toPublication('e', { already: 'object' }, 'presence', depth), { args: [{ already: 'object' }], kwargs: { event: 'e' } });
  });

  it('leaves encrypted channels\' data as the string it is', () => {
    const cipher = '{"nonce":"n","ciphertext":"c"}';
    assert.deepEqual(toPublication('e', cipher, 'encrypted', depth), { args: [cipher], kwargs: { event: 'e' } });
    assert.deepEqual(toPusherEvent([cipher], { event: 'e' }, 'encrypted'), { event: 'e', data: cipher });
  });

  it('round-trips what Pusher clients send, including strings that look like JSON', () => {
    for (const data of ['{"a":[1,2]}', 'hello', '"quoted"', '123', 'true', 'null', '']) {
      const { args, kwargs } = toPublication('e', data, 'public', depth);
      const back = toPusherEvent(args, kwargs, 'public');
      assert.deepEqual(back.event, 'e');
      assert.deepEqual(JSON.parse(JSON.stringify(tryParse(back.data))), tryParse(data), `data ${JSON.stringify(data)}`);
    }
  });

  it('maps WAMP publications: the default event name, several args, kwargs only, binary values', () => {
    assert.deepEqual(toPusherEvent([{ n: 1 }], {}, 'public'), { event: DEFAULT_EVENT_NAME, data: '{"n":1}' });
    assert.deepEqual(toPusherEvent([1, 2], { event: 'pair' }, 'public'), { event: 'pair', data: '[1,2]' });
    assert.deepEqual(toPusherEvent([], { event: 'k', a: 1 }, 'public'), { event: 'k', data: '{"a":1}' });
    assert.deepEqual(toPusherEvent(['{"not":"an object"}'], { event: 'e' }, 'public'), { event: 'e', data: '"{\\"not\\":\\"an object\\"}"' });
    assert.deepEqual(toPusherEvent([new Uint8Array([1, 2, 3])], { event: 'b' }, 'public'), { event: 'b', data: '"AQID"' });
    assert.deepEqual(toPusherEvent(['x'], { event: 42 }, 'public'), { event: DEFAULT_EVENT_NAME, data: 'x' });
  });
});

/** How pusher-js reads `data`: JSON when it parses, else the string. */
function tryParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
