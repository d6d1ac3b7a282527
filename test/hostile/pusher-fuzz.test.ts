import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { WebSocket } from 'ws';
import { APP, pusherConfig, removeDir, serverSdk, startPusherNode, type PusherNode } from '../pusher/support.js';
import { checkFuzz } from '../support/fuzz.js';
import { waitFor } from '../support/wait.js';

/**
 * Fuzzing the Pusher door: near-valid and arbitrary frames on one connection. After each frame a
 * pusher:ping must still be answered (the connection is alive and in order), and a bystander
 * connection still receives events. FUZZ_SEED=<seed> replays a failure, FUZZ_RUNS scales the budget.
 */


const json: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 3 });
const events = ['pusher:subscribe', 'pusher:unsubscribe', 'pusher:signin', 'pusher:ping', 'pusher:pong', 'client-x', 'pusher:other', 'x'];
const channels = ['news', 'private-a', 'presence-b', 'private-encrypted-c', '#server-to-user-1', '', 'a..b', 'x'.repeat(250)];
const frame: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 40 }),
  json.map((value) => JSON.stringify(value)),
  fc.record({
    event: fc.oneof(fc.constantFrom(...events), fc.string({ maxLength: 20 }), json),
    channel: fc.option(fc.oneof(fc.constantFrom(...channels), fc.string({ maxLength: 20 }), json), { nil: undefined }),
    data: fc.oneof(
      json,
      json.map((value) => JSON.stringify(value)),
      fc.record({ channel: fc.oneof(fc.constantFrom(...channels), json), auth: fc.oneof(fc.string({ maxLength: 30 }), json), channel_data: fc.oneof(json.map((value) => JSON.stringify(value)), json) }, { requiredKeys: [] }),
      fc.record({ auth: fc.string({ maxLength: 30 }), user_data: fc.oneof(json.map((value) => JSON.stringify(value)), json) }, { requiredKeys: [] }),
    ),
  }, { requiredKeys: ['event'] }).map((value) => JSON.stringify(value)),
);

/** Whether the server takes this frame as a ping (then it answers one pong more). */
function isPing(text: string): boolean {
  try {
    const value = JSON.parse(text) as { event?: unknown; channel?: unknown };
    return typeof value === 'object' && value !== null && !Array.isArray(value) && value.event === 'pusher:ping' && (value.channel === undefined || typeof value.channel === 'string');
  } catch {
    return false;
  }
}

describe('pusher door under fuzzed frames', () => {
  let server: PusherNode;
  before(async () => {
    server = await startPusherNode(pusherConfig({}, { maxChannelsPerConnection: 20 }));
  });
  after(async () => {
    await server.stop();
    removeDir(server.dataDir);
  });

  it('answers or refuses every frame and keeps serving the connection and its neighbours', { timeout: 60_000 }, async () => {
    const open = async () => {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/app/${APP.key}?protocol=7`);
      const frames: Record<string, unknown>[] = [];
      ws.on('message', (data) => frames.push(JSON.parse(data.toString())));
      await waitFor(() => frames.length === 1, 'connection_established');
      return { ws, frames };
    };
    const bystander = await open();
    bystander.ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'news' } }));
    await waitFor(() => bystander.frames.length === 2, 'the bystander subscribed');
    const fuzzed = await open();
    let pongs = 0;
    fuzzed.ws.on('message', (data) => {
      if (JSON.parse(data.toString()).event === 'pusher:pong') pongs += 1;
    });
    await checkFuzz('pusher', fc.asyncProperty(frame, async (text) => {
      const expected = pongs + 1 + (isPing(text) ? 1 : 0);
      fuzzed.ws.send(text);
      fuzzed.ws.send('{"event":"pusher:ping","data":{}}');
      await waitFor(() => pongs >= expected || fuzzed.ws.readyState !== WebSocket.OPEN, 'the pong');
      assert.equal(fuzzed.ws.readyState, WebSocket.OPEN, `the connection closed after ${text}`);
      pongs = Math.max(pongs, expected);
    }), 150);
    const before = bystander.frames.length;
    await serverSdk(server.port).trigger('news', 'still-here', {});
    await waitFor(() => bystander.frames.length > before, 'the bystander\'s event');
    fuzzed.ws.close();
    bystander.ws.close();
  });
});
