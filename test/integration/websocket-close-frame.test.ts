import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import type { WebSocket } from 'ws';
import { MessageType as T } from '../../src/protocol/codes.js';
import { RawClient } from '../support/raw-client.js';
import { startTestNode, testConfig, webSocketPath } from '../support/node.js';
import { Wamp1Client } from '../support/wamp1-client.js';

/**
 * A client's close frame ends its session at once: ws reports 'close' only when the TCP
 * connection ends, which a client that sends its close frame and then reads nothing delays until
 * ws's close timeout (30 s). Its session must not stay joined, holding its subscriptions and
 * registrations, that long. (Pusher: test/pusher/protocol.test.ts.)
 */

const config = testConfig();
webSocketPath(config).options.wamp1 = { realm: 'realm1', role: 'anonymous', uris: [], maxPrefixes: 4 };
const node = await startTestNode(config);
after(() => node.stop());

async function established(): Promise<{ client: RawClient; sessionId: number }> {
  const client = await RawClient.open(node.url);
  const welcome = await client.hello();
  assert.equal(welcome[0], T.WELCOME, `expected WELCOME, got ${JSON.stringify(welcome)}`);
  return { client, sessionId: welcome[1] as number };
}

/** A session told of every session that leaves. */
async function leaveWatcher(): Promise<{ client: RawClient; left(sessionId: number): Promise<unknown[]> }> {
  const { client } = await established();
  client.send([T.SUBSCRIBE, 1, {}, 'wamp.session.on_leave']);
  await client.next((m) => m[0] === T.SUBSCRIBED);
  // 5 s: ws's close timeout is 30 s.
  return { client, left: (sessionId) => client.next((m) => m[0] === T.EVENT && (m[4] as unknown[] | undefined)?.[0] === sessionId, 5_000) };
}

/** Reads nothing from now on (the router's close frame included), sends its close frame, never ends its side of TCP. */
function closeWithoutReading(ws: WebSocket): void {
  (ws as unknown as { _socket: Socket })._socket.pause();
  ws.close(1000);
}

describe('websocket transport - the client\'s close frame', () => {
  it('ends the session of a client that sends its close frame and then never reads', async () => {
    const watcher = await leaveWatcher();
    const { client: leaver, sessionId } = await established();
    leaver.send([T.SUBSCRIBE, 2, {}, 'close.frame.topic']);
    leaver.send([T.REGISTER, 3, {}, 'close.frame.proc']);
    await leaver.next((m) => m[0] === T.SUBSCRIBED);
    await leaver.next((m) => m[0] === T.REGISTERED);

    closeWithoutReading(leaver.ws);
    await watcher.left(sessionId);
    watcher.client.send([T.CALL, 4, {}, 'close.frame.proc']);
    const answer = await watcher.client.next((m) => m[0] === T.ERROR && m[2] === 4);
    assert.equal(answer[4], 'wamp.error.no_such_procedure', 'its registration went with it');
    watcher.client.send([T.CALL, 5, {}, 'wamp.subscription.lookup', ['close.frame.topic']]);
    const lookup = await watcher.client.next((m) => m[0] === T.RESULT && m[1] === 5);
    assert.deepEqual(lookup[3], [null], 'its subscription went with it');
    leaver.close();
    watcher.client.close();
  });

  it('ends the session of a WAMP v1 client that sends its close frame and then never reads', async () => {
    const watcher = await leaveWatcher();
    const leaver = await Wamp1Client.connect(node.url);
    closeWithoutReading(leaver.ws);
    await watcher.left(Number(leaver.sessionId));
    leaver.ws.terminate();
    watcher.client.close();
  });
});
