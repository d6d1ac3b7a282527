/**
 * The fallback rules of connect({ transports }), with two in-memory routers standing for the
 * WebSocket and the long-poll endpoint: which failures move on to the next transport, that every
 * reconnection starts from the first, what status() reports, and leaving in the middle.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonCodec } from '../../src/codec/json.js';
import { connectWith } from '../../src/client/connect.js';
import { WampError } from '../../src/client/errors.js';
import type { Session } from '../../src/client/session.js';
import { FakeRouter, type FakePeer } from '../../src/client/testing/fake-router.js';
import { webSocketTransport, type WebSocketConstructor } from '../../src/client/transports/websocket.js';
import type { Status } from '../../src/client/types.js';
import { MessageType } from '../../src/protocol/codes.js';
import { ErrorUri } from '../../src/protocol/errors.js';

const transports = [
  { type: 'websocket', url: 'ws://router/ws' },
  { type: 'longpoll', url: 'http://router/lp' },
] as const;

/** A WebSocket router and a long-poll router; `connect` dials them through `transports`. */
function routers(): { websocket: FakeRouter; longPoll: FakeRouter; connect(reconnect?: object | false): Promise<Session> } {
  const websocket = new FakeRouter();
  const longPoll = new FakeRouter();
  return {
    websocket,
    longPoll,
    connect: (reconnect = { initialDelay: 1, maxDelay: 4, jitter: 0 }) =>
      connectWith({ transport: websocket.transport, longPoll: () => longPoll.transport, codecs: [jsonCodec] }, { transports, realm: 'realm1', reconnect }),
  };
}

/** Statuses of `session` from now on, until `last` matches. */
async function statusesUntil(session: Session, last: (status: Status) => boolean): Promise<Status[]> {
  const seen: Status[] = [];
  for await (const status of session.status()) {
    seen.push(status);
    if (last(status)) break;
  }
  return seen;
}

/** Leaves, with the router's side of the GOODBYE exchange played by `peer`. */
async function leave(session: Session, peer: FakePeer): Promise<void> {
  const leaving = session.leave();
  await peer.expect(MessageType.GOODBYE);
  peer.send({ type: MessageType.GOODBYE, details: {}, reason: ErrorUri.goodbyeAndOut });
  await leaving;
  assert.equal(session.state, 'closed');
}

const brief = (status: Status): string =>
  status.type === 'connecting' || status.type === 'open' ? `${status.type} ${status.transport} ${status.url}` : status.type;

describe('connect({ transports }) fallback rules', { timeout: 10_000 }, () => {
  it('moves on to long-poll at once when the WebSocket cannot connect', async () => {
    const { websocket, longPoll, connect } = routers();
    websocket.unreachable = true;
    const connecting = connect();
    const peer = await longPoll.acceptSession(7);
    const session = await connecting;
    assert.equal(session.id, 7);
    assert.deepEqual([websocket.attempts, longPoll.attempts], [1, 1]);
    await leave(session, peer);
  });

  it('moves on when the environment has no WebSocket; with `url` alone it says so', async () => {
    const longPoll = new FakeRouter();
    const missing = webSocketTransport(undefined as unknown as WebSocketConstructor);
    const platform = { transport: missing, longPoll: () => longPoll.transport, codecs: [jsonCodec] };
    const connecting = connectWith(platform, { transports, realm: 'realm1', reconnect: false });
    const peer = await longPoll.acceptSession(9);
    await leave(await connecting, peer);
    await assert.rejects(connectWith(platform, { url: 'ws://router/ws', realm: 'realm1', reconnect: false }), {
      name: 'TransportError',
      message: 'this environment has no WebSocket',
    });
  });

  it('moves on when the WebSocket closes during the handshake', async () => {
    const { websocket, longPoll, connect } = routers();
    const connecting = connect();
    const early = await websocket.accept();
    await early.expect(MessageType.HELLO);
    early.drop(1006);
    const peer = await longPoll.acceptSession(8);
    const session = await connecting;
    assert.equal(session.id, 8);
    await leave(session, peer);
  });

  it("does not move on when the router ABORTs: that is the router's answer, whatever the transport", async () => {
    const { websocket, longPoll, connect } = routers();
    const connecting = connect();
    const peer = await websocket.accept();
    await peer.expect(MessageType.HELLO);
    peer.send({ type: MessageType.ABORT, details: { message: 'who are you?' }, reason: ErrorUri.authenticationFailed });
    await assert.rejects(connecting, (error: unknown) => error instanceof WampError && error.uri === ErrorUri.authenticationFailed);
    assert.equal(longPoll.attempts, 0);
  });

  it('rejects with a TransportError naming each transport when none connects', async () => {
    const { websocket, longPoll, connect } = routers();
    websocket.unreachable = true;
    longPoll.unreachable = true;
    await assert.rejects(connect(), {
      name: 'TransportError',
      message: 'websocket: cannot connect to ws://router/ws: connection refused; longpoll: cannot connect to http://router/lp: connection refused',
    });
  });

  it('reconnects from the first transport again, and status() says which one is open', async () => {
    const { websocket, longPoll, connect } = routers();
    websocket.unreachable = true;
    const connecting = connect();
    const first = await longPoll.acceptSession(1);
    const session = await connecting;

    // Lost: the WebSocket is still refused once, then works again.
    const statuses = statusesUntil(session, (status) => status.type === 'restored');
    first.drop(1006);
    const retried = await longPoll.accept(); // attempt 1 fell back to long-poll ...
    retried.drop(1006); // ... which fails during the handshake too
    websocket.unreachable = false;
    const second = await websocket.acceptSession(2);
    assert.deepEqual((await statuses).map(brief), [
      'closed',
      'retrying',
      'connecting websocket ws://router/ws',
      'connecting longpoll http://router/lp',
      'closed',
      'retrying',
      'connecting websocket ws://router/ws',
      'open websocket ws://router/ws',
      'restored',
    ]);
    assert.equal(session.id, 2);
    await leave(session, second);
  });

  it('reports an attempt that failed on every transport with what each said', async () => {
    const { websocket, longPoll, connect } = routers();
    const connecting = connect();
    const first = await websocket.acceptSession(1);
    const session = await connecting;
    const statuses = statusesUntil(session, (status) => status.type === 'retrying' && status.attempt === 2);
    websocket.unreachable = true;
    longPoll.unreachable = true;
    first.drop(1006);
    const unreachable = (await statuses).filter((status) => status.type === 'closed').at(-1);
    assert.deepEqual(unreachable, {
      type: 'closed',
      reason: 'unreachable',
      message: 'websocket: cannot connect to ws://router/ws: connection refused; longpoll: cannot connect to http://router/lp: connection refused',
      willRetry: true,
    });
    await session.leave(); // no link while retrying: nothing to say GOODBYE on
  });

  it('leaving while the first transport is being tried tries no other', async () => {
    const { websocket, longPoll, connect } = routers();
    const connecting = connect();
    const first = await websocket.acceptSession(1);
    const session = await connecting;
    first.drop(1006);
    const redial = await websocket.accept();
    await redial.expect(MessageType.HELLO);
    const leaving = session.leave();
    redial.drop(1006); // the WebSocket fails after the app left
    await leaving;
    await session.status().next(); // ends at once once closed
    assert.equal(session.state, 'closed');
    assert.equal(longPoll.attempts, 0);
  });
});
