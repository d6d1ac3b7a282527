/**
 * Frame once (src/transport/ws-frame.ts): a WebSocket connection without permessage-deflate gets
 * each event's frame bytes written to its socket, one with it gets the payload through ws.send.
 * On one path with compression on, subscribers of both kinds and of every codec must receive the
 * same events, whole, in publication order — including events large enough for ws to compress
 * them asynchronously while later ones queue behind, and events just under and over the frame
 * header's length steps (125 and 65,535 bytes).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { codecByName, type Codec, type CodecName } from '../../src/codec/index.js';
import { startTestNode, testConfig } from '../support/node.js';

const TOPIC = 'frame.once';
/** Padding lengths that move the payload across the header's length steps and the deflate threshold. */
const PADDINGS = [0, 60, 100, 1_000, 65_480, 65_600, 200_000];
const EVENTS = 60;

interface Subscriber {
  name: string;
  ws: WebSocket;
  events: unknown[][];
}

function open(url: string, codec: Codec, perMessageDeflate: boolean): Promise<WebSocket> {
  const ws = new WebSocket(url, [codec.subprotocol], { perMessageDeflate });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function decoder(codec: Codec): (data: Buffer) => unknown[] {
  return (data) => codec.decode(codec.binary ? data : data.toString('utf8')) as unknown[];
}

/** Joins realm1 and subscribes to TOPIC; every EVENT's args are kept in arrival order. */
async function subscriber(url: string, codecName: CodecName, perMessageDeflate: boolean): Promise<Subscriber> {
  const codec = codecByName(codecName);
  const ws = await open(url, codec, perMessageDeflate);
  const decode = decoder(codec);
  const events: unknown[][] = [];
  const subscribed = new Promise<void>((resolve, reject) => {
    ws.on('message', (data: Buffer) => {
      const message = decode(data);
      if (message[0] === 2) ws.send(codec.encode([32, 1, {}, TOPIC]));
      else if (message[0] === 33) resolve();
      else if (message[0] === 36) events.push(message[4] as unknown[]);
      else if (message[0] === 3) reject(new Error(`ABORT ${JSON.stringify(message)}`));
    });
  });
  ws.send(codec.encode([1, 'realm1', { roles: { subscriber: {} } }]));
  await subscribed;
  return { name: `${codecName}${perMessageDeflate ? '+deflate' : ''}`, ws, events };
}

describe('frame once: compressed and plain WebSocket subscribers of every codec', () => {
  const stops: (() => unknown)[] = [];
  after(async () => {
    for (const stop of stops.reverse()) await stop();
  });

  it('all receive every event, unchanged and in order', async () => {
    const node = await startTestNode(testConfig({ compression: true }));
    stops.push(() => node.stop());
    const subscribers = await Promise.all([
      subscriber(node.url, 'json', true), subscriber(node.url, 'json', false),
      subscriber(node.url, 'msgpack', true), subscriber(node.url, 'msgpack', false),
      subscriber(node.url, 'cbor', false),
    ]);
    for (const s of subscribers) stops.push(() => s.ws.terminate());
    assert.match(subscribers[0]!.ws.extensions, /permessage-deflate/);
    assert.equal(subscribers[1]!.ws.extensions, '');

    const json = codecByName('json');
    const publisher = await open(node.url, json, false);
    stops.push(() => publisher.terminate());
    const decode = decoder(json);
    const acknowledged = new Set<number>();
    publisher.on('message', (data: Buffer) => {
      const message = decode(data);
      if (message[0] === 17) acknowledged.add(message[1] as number);
    });
    await new Promise<void>((resolve) => {
      publisher.once('message', () => resolve());
      publisher.send(json.encode([1, 'realm1', { roles: { publisher: {} } }]));
    });

    const expected: unknown[][] = [];
    for (let i = 0; i < EVENTS; i++) {
      const args = [i, 'é'.repeat(3) + 'x'.repeat(PADDINGS[i % PADDINGS.length]!)];
      expected.push(args);
      publisher.send(json.encode([16, i + 1, { acknowledge: true }, TOPIC, args]));
    }
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && (acknowledged.size < EVENTS || subscribers.some((s) => s.events.length < EVENTS))) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(acknowledged.size, EVENTS);
    for (const s of subscribers) assert.deepEqual(s.events, expected, `${s.name} received other events`);
  });
});
