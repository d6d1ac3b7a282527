import fc from 'fast-check';
import type { Codec } from '../../src/codec/index.js';
import { MessageType } from '../../src/protocol/codes.js';

/** What a WAMP v2 client might send, for the fuzz tests of every door that carries WAMP v2. */

/** WAMP-ish values: every type the codecs carry, nested a little (deep nesting is the codec limits' test). */
const value: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', maxDepth: 3 },
    fc.integer(), fc.double(), fc.maxSafeInteger(), fc.string({ maxLength: 12 }), fc.boolean(), fc.constant(null),
    fc.uint8Array({ maxLength: 12 }),
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('v'), { maxKeys: 4 }),
  ),
})).v;

const codes = Object.values(MessageType);

/** One well-formed message per type a client sends, the base for near-valid mutations. */
export const samples: unknown[][] = [
  [1, 'realm1', { roles: { subscriber: {}, publisher: {}, caller: {}, callee: {} } }],
  [3, {}, 'wamp.close.normal'],
  [5, 'signature', {}],
  [6, {}, 'wamp.close.close_realm'],
  [8, 68, 1, {}, 'app.error', [1], { a: 1 }],
  [16, 1, { acknowledge: true }, 'app.topic', [1, 'two'], { three: 3 }],
  [32, 2, { match: 'prefix' }, 'app'],
  [34, 3, 4],
  [48, 5, { timeout: 100 }, 'app.proc', [], {}],
  [49, 5, { mode: 'kill' }],
  [64, 6, { match: 'wildcard', invoke: 'roundrobin' }, 'app..proc'],
  [66, 7, 8],
  [70, 9, { progress: true }, ['x']],
];

/** Any type code (and some that are none) followed by arbitrary elements. */
const wampish = fc.tuple(fc.oneof(fc.constantFrom(...codes), fc.integer({ min: -2, max: 300 })), fc.array(value, { maxLength: 7 }))
  .map(([code, rest]) => [code, ...rest]);

/** A well-formed message with one element replaced, dropped or appended. */
const nearValid = fc.tuple(fc.constantFrom(...samples), fc.nat(), value, fc.constantFrom('replace', 'drop', 'append'))
  .map(([sample, at, replacement, how]) => {
    const message = sample.slice();
    const index = 1 + (at % (message.length - 1));
    if (how === 'replace') message[index] = replacement;
    else if (how === 'drop') message.splice(index, 1);
    else message.push(replacement);
    return message;
  });

export const decodedMessage = fc.oneof(wampish, nearValid, value);

export const asBytes = (frame: string | Uint8Array): Uint8Array => (typeof frame === 'string' ? Buffer.from(frame, 'utf8') : frame);

/** Bytes for `codec`: random ones, or an encoded message with bytes flipped, cut or added. */
export function framesFor(codec: Codec): fc.Arbitrary<Uint8Array> {
  const encoded = fc.oneof(decodedMessage, nearValid).map((message) => asBytes(codec.encode(Array.isArray(message) ? message : [message])));
  const mutated = fc.tuple(encoded, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat())
    .map(([bytes, flips, cut]) => {
      const copy = Uint8Array.from(bytes);
      for (const [at, byte] of flips) copy[at % copy.length] = byte;
      return cut % 3 === 0 ? copy.subarray(0, cut % (copy.length + 1)) : copy;
    });
  return fc.oneof(fc.uint8Array({ maxLength: 48 }), encoded, mutated);
}

