import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { MessageType as T } from '../../src/protocol/codes.js';
import { RawClient } from '../support/raw-client.js';
import { startTestNode, testConfig } from '../support/node.js';

/**
 * A client's close frame ends its session at once: ws reports 'close' only when the TCP
 * connection ends, which a client that sends its close frame and then reads nothing delays until
 * ws's close timeout (30 s). Its session must not stay joined, holding its subscriptions and
 * registrations, that long.
 */

const node = await startTestNode(testConfig());
after(() => node.stop());

async function established(): Promise<{ client: RawClient; sessionId: number }> {
  const client = await RawClient.open(node.url);
  const welcome = await client.hello();
  assert.equal(welcome[0], T.WELCOME, `expected WELCOME, got ${JSON.stringify(welcome)}`);
  return { client, sessionId: welcome[1] as number };
}

describe('websocket transport - the client\'s close frame', () => {
  it('ends the session of a client that sends its close frame and then never reads', async () => {
    const { client: watcher } = await established();
    watcher.send([T.SUBSCRIBE, 1, {}, 'wamp.session.on_leave']);
    await watcher.next((m) => m[0] === T.SUBSCRIBED);

    const { client: leaver, sessionId } = await established();
    leaver.send([T.SUBSCRIBE, 2, {}, 'close.frame.topic']);
    leaver.send([T.REGISTER, 3, {}, 'close.frame.proc']);
    await leaver.next((m) => m[0] === T.SUBSCRIBED);
    await leaver.next((m) => m[0] === T.REGISTERED);

    // Reads nothing from now on (the router's close frame included) and never ends its side of TCP.
    (leaver.ws as unknown as { _socket: Socket })._socket.pause();
    leaver.ws.close(1000);

    const leave = await watcher.next((m) => m[0] === T.EVENT && (m[4] as unknown[] | undefined)?.[0] === sessionId, 5_000);
    assert.ok(leave, 'wamp.session.on_leave within 5 s (ws\'s close timeout is 30 s)');
    watcher.send([T.CALL, 4, {}, 'close.frame.proc']);
    const answer = await watcher.next((m) => m[0] === T.ERROR && m[2] === 4);
    assert.equal(answer[4], 'wamp.error.no_such_procedure', 'its registration went with it');
    watcher.send([T.CALL, 5, {}, 'wamp.subscription.lookup', ['close.frame.topic']]);
    const lookup = await watcher.next((m) => m[0] === T.RESULT && m[1] === 5);
    assert.deepEqual(lookup[3], [null], 'its subscription went with it');
    leaver.close();
    watcher.close();
  });
});
