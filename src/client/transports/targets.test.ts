import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TransportFactory } from '../transport.js';
import type { TransportOptions } from '../types.js';
import type { LongPollOptions } from './longpoll.js';
import { dialTargets, MAX_TRANSPORTS } from './targets.js';

const websocket: TransportFactory = () => Promise.reject(new Error('not dialed here'));

/** A long-poll maker that records the options each entry asked for. */
function longPollMaker(): { make(options: LongPollOptions): TransportFactory; made: LongPollOptions[]; factories: TransportFactory[] } {
  const made: LongPollOptions[] = [];
  const factories: TransportFactory[] = [];
  return {
    made,
    factories,
    make(options) {
      made.push(options);
      const factory: TransportFactory = () => Promise.reject(new Error('not dialed here'));
      factories.push(factory);
      return factory;
    },
  };
}

describe('connect({ transports }) targets', () => {
  it('keeps the order, gives websocket entries the WebSocket factory and long-poll entries their own', () => {
    const longPoll = longPollMaker();
    const targets = dialTargets(
      [
        { type: 'websocket', url: 'wss://example.com/ws' },
        { type: 'longpoll', url: 'https://example.com/lp', requestTimeout: 15_000 },
        { type: 'longpoll', url: 'HTTP://example.com/lp2' },
      ],
      undefined,
      websocket,
      longPoll.make,
    );
    assert.deepEqual(targets.map(({ type, url }) => [type, url]), [
      ['websocket', 'wss://example.com/ws'],
      ['longpoll', 'https://example.com/lp'],
      ['longpoll', 'HTTP://example.com/lp2'],
    ]);
    assert.equal(targets[0]!.transport, websocket);
    assert.deepEqual(targets.slice(1).map((target) => target.transport), longPoll.factories);
    assert.deepEqual(longPoll.made, [{ requestTimeout: 15_000 }, { requestTimeout: undefined }]);
  });

  it('loads long-poll on demand by default', () => {
    const [target] = dialTargets([{ type: 'longpoll', url: 'http://127.0.0.1/lp' }], undefined, websocket);
    assert.equal(typeof target!.transport, 'function');
  });

  it('refuses url and transports together, and lists of the wrong length', () => {
    const one: TransportOptions[] = [{ type: 'websocket', url: 'ws://x/ws' }];
    assert.throws(() => dialTargets(one, 'ws://x/ws', websocket), { name: 'TypeError', message: 'connect: give url or transports, not both' });
    assert.throws(() => dialTargets([], undefined, websocket), /transports must be a list of 1 to 8 transports, got \[\]/);
    assert.throws(() => dialTargets(Array(MAX_TRANSPORTS + 1).fill(one[0]), undefined, websocket), /a list of 1 to 8/);
    assert.throws(() => dialTargets('ws://x' as unknown as TransportOptions[], undefined, websocket), /a list of 1 to 8 transports, got "ws:\/\/x"/);
  });

  it('names the bad entry: unknown type, wrong scheme for the type, missing url, bad requestTimeout', () => {
    const bad: unknown[] = [
      { type: 'rawsocket', url: 'tcp://x' },
      { type: 'websocket', url: 'http://x/ws' },
      { type: 'longpoll', url: 'ws://x/lp' },
      { type: 'longpoll' },
      { type: 'longpoll', url: 'http://x/lp', requestTimeout: 0 },
      { type: 'longpoll', url: 'http://x/lp', requestTimeout: '10s' },
      { type: 'websocket', url: 'ws://x/ws', requestTimeout: 1000 },
      null,
    ];
    for (const entry of bad) {
      assert.throws(
        () => dialTargets([{ type: 'websocket', url: 'ws://ok/ws' }, entry as TransportOptions], undefined, websocket),
        (error: Error) => error instanceof TypeError && error.message.includes(`got ${JSON.stringify(entry)}`) && /type: 'longpoll', url: 'http\(s\)/.test(error.message),
        JSON.stringify(entry),
      );
    }
  });
});
