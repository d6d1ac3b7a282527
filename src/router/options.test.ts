import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { cborCodec, jsonCodec, msgpackCodec } from '../codec/index.js';
import type { Dict } from '../protocol/messages.js';
import { readMqttProperties } from '../protocol/mqtt-properties.js';
import { matchPolicies } from '../protocol/uri.js';
import { checkFuzz } from '../../test/support/fuzz.js';
import {
  cancelModes, invocationPolicies, MAX_FORWARD_HOPS, OptionError, readCallOptions, readCancelMode, readPublishOptions,
  readRegisterOptions, readSubscribeOptions, readYieldProgress,
} from './options.js';

/**
 * The options readers against a reference that reads them the plain way (a lookup per option,
 * in a fixed order): the one-pass readers must give the same result or the same error for any
 * dict, including prototype keys, nulls, unknown keys and several bad options at once.
 */

type Check = (value: unknown) => unknown;
const refuse = (message: string): never => { throw new OptionError(message); };
const bool = (key: string, fallback: boolean): [string, Check, unknown] =>
  [key, (v) => (typeof v === 'boolean' ? v : refuse(`option "${key}" must be a boolean`)), fallback];
const ids = (key: string): [string, Check, unknown] =>
  [key, (v) => (Array.isArray(v) && v.every((i) => Number.isInteger(i) && i >= 1 && i <= 2 ** 53) ? new Set(v) : refuse(`option "${key}" must be a list of session IDs`)), undefined];
const strings = (key: string): [string, Check, unknown] =>
  [key, (v) => (Array.isArray(v) && v.every((i) => typeof i === 'string') ? new Set(v) : refuse(`option "${key}" must be a list of strings`)), undefined];
const oneOf = (key: string, allowed: readonly string[], fallback: string): [string, Check, unknown] =>
  [key, (v) => (allowed.includes(v as string) ? v : refuse(`option "${key}" must be one of ${allowed.map((a) => `"${a}"`).join(', ')}`)), fallback];
const count = (key: string, most = Infinity): [string, Check, unknown] => [key, (v) => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) refuse(`option "${key}" must be a non-negative integer`);
  return (v as number) > most ? refuse(`option "${key}" must be at most ${most} ms (about 24 days); 0 means no timeout`) : v;
}, 0];
const hops: [string, Check, unknown] = ['forward_for', (v) => {
  const hop = (h: Dict | null) => typeof h === 'object' && h !== null && Number.isInteger(h.session) && (h.session as number) >= 1
    && (h.session as number) <= 2 ** 53 && typeof h.authid === 'string' && typeof h.authrole === 'string';
  if (!Array.isArray(v) || v.length === 0 || v.length > MAX_FORWARD_HOPS || !v.every(hop)) {
    refuse(`option "forward_for" must be a list of 1 to ${MAX_FORWARD_HOPS} {session, authid, authrole} entries`);
  }
  return (v as Dict[]).map(({ session, authid, authrole }) => ({ session, authid, authrole }));
}, undefined];
const mqtt: [string, Check, unknown] = ['_mqtt', (v) => {
  try {
    return readMqttProperties(v);
  } catch (error) {
    return refuse((error as Error).message);
  }
}, undefined];

/** Each reader's options: field, wire key, check, default, in the order the reference checks them. */
const specs: Record<string, [(dict: Dict) => unknown, Record<string, [string, Check, unknown]>]> = {
  publish: [readPublishOptions, {
    acknowledge: bool('acknowledge', false), excludeMe: bool('exclude_me', true), discloseMe: bool('disclose_me', false),
    retain: bool('retain', false), exclude: ids('exclude'), excludeAuthid: strings('exclude_authid'),
    excludeAuthrole: strings('exclude_authrole'), eligible: ids('eligible'), eligibleAuthid: strings('eligible_authid'),
    eligibleAuthrole: strings('eligible_authrole'), mqtt, forwardFor: hops,
  }],
  call: [readCallOptions, {
    timeout: count('timeout', 2_147_483_647), receiveProgress: bool('receive_progress', false),
    discloseMe: bool('disclose_me', false), progress: bool('progress', false), forwardFor: hops,
  }],
  subscribe: [readSubscribeOptions, { match: oneOf('match', matchPolicies, 'exact'), getRetained: bool('get_retained', false) }],
  register: [readRegisterOptions, {
    match: oneOf('match', matchPolicies, 'exact'), invoke: oneOf('invoke', invocationPolicies, 'single'),
    discloseCaller: bool('disclose_caller', false), forceReregister: bool('force_reregister', false), concurrency: count('concurrency'),
  }],
  cancel: [(dict) => ({ mode: readCancelMode(dict) }), { mode: oneOf('mode', cancelModes, 'killnowait') }],
  yield: [(dict) => ({ progress: readYieldProgress(dict) }), { progress: bool('progress', false) }],
};

function reference(fields: Record<string, [string, Check, unknown]>, dict: Dict): Dict {
  const result: Dict = {};
  for (const [field, [key, check, fallback]] of Object.entries(fields)) {
    const value = dict[key];
    result[field] = value === undefined || value === null ? fallback : check(value);
  }
  return result;
}

/** The reader's answer or its error, as something assert.deepEqual compares. */
function outcome(read: () => unknown): unknown {
  try {
    return { value: read() };
  } catch (error) {
    assert.ok(error instanceof OptionError, `not an OptionError: ${(error as Error).stack}`);
    return { refused: error.message };
  }
}

/** A dict as a decoder builds it: every key its own property, `__proto__` included (as JSON.parse does). */
function dictOf(entries: [string, unknown][]): Dict {
  const dict: Dict = {};
  for (const [key, value] of entries) Object.defineProperty(dict, key, { value, enumerable: true, writable: true, configurable: true });
  return dict;
}

const optionKeys = [...new Set(Object.values(specs).flatMap(([, fields]) => Object.values(fields).map(([key]) => key)))];
const otherKeys = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'x_custom', '_other', ''];
const hop = fc.record({ session: fc.oneof(fc.integer({ min: 1, max: 100 }), fc.constant(0)), authid: fc.string({ maxLength: 3 }), authrole: fc.constantFrom('user', 7) });
const value = fc.oneof(
  fc.constant(null), fc.constant(undefined), fc.boolean(), fc.constantFrom(0, 1, -1, 1.5, 5000, 2 ** 31, 2 ** 53, 2 ** 60),
  fc.constantFrom('', 'true', ...matchPolicies, ...invocationPolicies, ...cancelModes),
  fc.array(fc.oneof(fc.integer({ min: -1, max: 3 }), fc.constantFrom('a', 'user')), { maxLength: 4 }),
  fc.array(hop, { maxLength: MAX_FORWARD_HOPS + 1 }),
  fc.record({ qos: fc.constantFrom(0, 1, 2, 3) }, { requiredKeys: [] }), fc.constant({ content_type: 5 }), fc.constant({}),
);
const dicts = fc.array(fc.tuple(fc.constantFrom(...optionKeys, ...otherKeys), value), { maxLength: 6 }).map(dictOf);

describe('options readers', () => {
  it('give what a lookup per option gives, or the same error, for any dict', async () => {
    await checkFuzz('options readers', fc.property(dicts, (dict) => {
      for (const [name, [read, fields]] of Object.entries(specs)) {
        assert.deepEqual(outcome(() => read(dict)), outcome(() => reference(fields, dict)), `${name} of ${JSON.stringify(dict)}`);
      }
    }), 3000);
  });

  // Every option of every reader: absent, null, a valid value, an invalid one.
  const cases: [string, string, unknown, unknown, unknown, string][] = [
    ['publish', 'acknowledge', true, true, 'yes', 'option "acknowledge" must be a boolean'],
    ['publish', 'exclude_me', false, false, 0, 'option "exclude_me" must be a boolean'],
    ['publish', 'disclose_me', true, true, 1, 'option "disclose_me" must be a boolean'],
    ['publish', 'retain', true, true, 'true', 'option "retain" must be a boolean'],
    ['publish', 'exclude', [1, 2], new Set([1, 2]), [0], 'option "exclude" must be a list of session IDs'],
    ['publish', 'exclude_authid', ['a'], new Set(['a']), 'a', 'option "exclude_authid" must be a list of strings'],
    ['publish', 'exclude_authrole', ['r'], new Set(['r']), [1], 'option "exclude_authrole" must be a list of strings'],
    ['publish', 'eligible', [7], new Set([7]), ['7'], 'option "eligible" must be a list of session IDs'],
    ['publish', 'eligible_authid', [], new Set(), {}, 'option "eligible_authid" must be a list of strings'],
    ['publish', 'eligible_authrole', ['r'], new Set(['r']), [null], 'option "eligible_authrole" must be a list of strings'],
    ['publish', '_mqtt', { qos: 1 }, { qos: 1 }, { qos: 3 }, 'option "_mqtt.qos" must be 0, 1 or 2'],
    ['publish', 'forward_for', [{ session: 1, authid: 'a', authrole: 'r', extra: 1 }], [{ session: 1, authid: 'a', authrole: 'r' }], [],
      `option "forward_for" must be a list of 1 to ${MAX_FORWARD_HOPS} {session, authid, authrole} entries`],
    ['call', 'timeout', 5000, 5000, -1, 'option "timeout" must be a non-negative integer'],
    ['call', 'timeout', 0, 0, 2 ** 31, 'option "timeout" must be at most 2147483647 ms (about 24 days); 0 means no timeout'],
    ['call', 'receive_progress', true, true, 'x', 'option "receive_progress" must be a boolean'],
    ['call', 'disclose_me', true, true, 'x', 'option "disclose_me" must be a boolean'],
    ['call', 'progress', true, true, [], 'option "progress" must be a boolean'],
    ['call', 'forward_for', [{ session: 2, authid: '', authrole: '' }], [{ session: 2, authid: '', authrole: '' }], [{ session: 2 }],
      `option "forward_for" must be a list of 1 to ${MAX_FORWARD_HOPS} {session, authid, authrole} entries`],
    ['subscribe', 'match', 'prefix', 'prefix', 'glob', 'option "match" must be one of "exact", "prefix", "wildcard"'],
    ['subscribe', 'get_retained', true, true, 1, 'option "get_retained" must be a boolean'],
    ['register', 'invoke', 'roundrobin', 'roundrobin', 'all', 'option "invoke" must be one of "single", "roundrobin", "random", "first", "last"'],
    ['register', 'concurrency', 3, 3, 1.5, 'option "concurrency" must be a non-negative integer'],
    ['register', 'force_reregister', true, true, 'no', 'option "force_reregister" must be a boolean'],
    ['register', 'disclose_caller', true, true, 0, 'option "disclose_caller" must be a boolean'],
    ['cancel', 'mode', 'kill', 'kill', 'hard', 'option "mode" must be one of "skip", "kill", "killnowait"'],
    ['yield', 'progress', true, true, 'yes', 'option "progress" must be a boolean'],
  ];
  for (const [reader, key, valid, read, invalid, message] of cases) {
    it(`${reader} reads "${key}": absent and null are the default, valid is read, invalid is refused`, () => {
      const [readOptions, fields] = specs[reader]!;
      const [field, [, , fallback]] = Object.entries(fields).find(([, [name]]) => name === key)!;
      const at = (dict: Dict) => (readOptions(dict) as Dict)[field];
      assert.deepEqual(at({}), fallback);
      assert.deepEqual(at({ [key]: null }), fallback);
      assert.deepEqual(at({ other: 1, [key]: valid }), read);
      assert.throws(() => readOptions({ [key]: invalid }), (error) => error instanceof OptionError && error.message === message);
    });
  }

  it('share one frozen answer for a publication or call that sets no option', () => {
    assert.equal(readPublishOptions({}), readPublishOptions({ unknown: 1, acknowledge_me: true }));
    assert.ok(Object.isFrozen(readPublishOptions({})));
    assert.equal(readCallOptions({}), readCallOptions({ x: 1 }));
    assert.ok(Object.isFrozen(readCallOptions({})));
    assert.notEqual(readPublishOptions({ acknowledge: null }), readPublishOptions({ acknowledge: null }));
  });

  it('take no decoded prototype key for an option, whatever the codec', () => {
    const json = jsonCodec.decode('[16,1,{"__proto__":{"acknowledge":true,"timeout":-1},"constructor":{"retain":true},"toString":"x"},"t"]') as unknown[];
    const crafted = dictOf([['__proto__', { acknowledge: true, timeout: -1 }], ['constructor', { retain: true }], ['toString', 'x']]);
    const decoded = [json[2] as Dict, ...[msgpackCodec, cborCodec].map((codec) => (codec.decode(codec.encode([16, 1, crafted, 't']) as Buffer) as unknown[])[2] as Dict)];
    for (const dict of decoded) {
      assert.deepEqual(readPublishOptions(dict), readPublishOptions({}));
      assert.deepEqual(readCallOptions(dict), readCallOptions({}));
    }
  });

  it('name the first bad option in a fixed order, not in the dict\'s', () => {
    assert.throws(() => readPublishOptions({ forward_for: 1, exclude: 'x', acknowledge: 'x' }), { message: 'option "acknowledge" must be a boolean' });
    assert.throws(() => readCallOptions({ progress: 1, timeout: -1 }), { message: 'option "timeout" must be a non-negative integer' });
  });
});
