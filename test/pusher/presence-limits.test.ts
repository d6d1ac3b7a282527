import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import WebSocket from 'ws';
import { ErrorCode } from '../../src/transport/pusher/protocol.js';
import { openAutobahn } from '../support/autobahn.js';
import { APP, connected, once, pusherClient, pusherConfig, pusherFixture, rawMember } from './support.js';

/**
 * max_user_id_length, max_user_info_size and max_presence_members, as pusher-js sees them. The
 * test auth app signs user_id = the X-User header and user_info = {"name":"User <id>"}, which is
 * 17 bytes of JSON for a one-digit id and 18 for a two-digit one.
 */
describe('pusher presence channel limits', () => {
  const fx = pusherFixture(() => pusherConfig({}, { maxUserIdLength: 3, maxUserInfoSize: 17, maxPresenceMembers: 2 }));
  const asUser = (user: string) =>
    fx.track(pusherClient(fx.server.port, { channelAuthorization: { endpoint: fx.auth.url, transport: 'ajax', headers: { 'X-User': user } } }));
  const errors = (code: number) => fx.server.node.metrics.counter('junction_pusher_errors_total', '').value({ code: String(code) });
  type Refusal = { status: number; code: number; error: string };

  it('refuses a user_id or user_info over its limit with a subscription error naming the option, and counts it', async () => {
    const longId = asUser('1234');
    const bigInfo = asUser('12');
    await Promise.all([connected(longId), connected(bigInfo)]);
    const idRefusal = await once<Refusal>(longId.subscribe('presence-sizes'), 'pusher:subscription_error');
    assert.equal(idRefusal.code, ErrorCode.memberTooLarge);
    assert.equal(idRefusal.status, 400);
    assert.equal(idRefusal.error, '"user_id" has 4 characters, more than max_user_id_length (3)');
    const infoRefusal = await once<Refusal>(bigInfo.subscribe('presence-sizes'), 'pusher:subscription_error');
    assert.equal(infoRefusal.code, ErrorCode.memberTooLarge);
    assert.equal(infoRefusal.error, '"user_info" has 18 bytes of JSON, more than max_user_info_size (17)');
    assert.equal(errors(ErrorCode.memberTooLarge), 2);
  });

  it('refuses a pusher:signin whose user id is over max_user_id_length with pusher:error 4307, counted, and signs in one within it', async () => {
    const before = errors(ErrorCode.memberTooLarge);
    const long = await rawConnection(fx.server.port);
    long.signin('1234');
    const refusal = (await long.next('pusher:error')) as { code: number; message: string };
    assert.equal(refusal.code, ErrorCode.memberTooLarge);
    assert.equal(refusal.message, 'sign-in refused: "id" has 4 characters, more than max_user_id_length (3)');
    assert.equal(errors(ErrorCode.memberTooLarge), before + 1);
    // Still served: the same connection signs in within the limit.
    long.signin('123');
    assert.equal((await long.next('pusher:signin_success')).user_data, '{"id":"123"}');
    long.ws.close();
  });

  it('refuses a new user on a full presence channel, admits a member\'s second connection, and the new user once a member leaves', async () => {
    const [one, two, three, oneAgain] = [asUser('1'), asUser('2'), asUser('3'), asUser('1')];
    await Promise.all([one, two, three, oneAgain].map((client) => connected(client)));
    const oneRoom = one.subscribe('presence-full');
    await once(oneRoom, 'pusher:subscription_succeeded');
    await once(two.subscribe('presence-full'), 'pusher:subscription_succeeded');

    const refusal = await once<Refusal>(three.subscribe('presence-full'), 'pusher:subscription_error');
    assert.equal(refusal.code, ErrorCode.presenceFull);
    assert.equal(refusal.status, 403);
    assert.match(refusal.error, /presence channel "presence-full" already has 2 members \(max_presence_members\)/);
    assert.equal(errors(ErrorCode.presenceFull), 1);

    // User 1 is a member already: another of its connections adds no member.
    const again = await once<{ count: number }>(oneAgain.subscribe('presence-full'), 'pusher:subscription_succeeded');
    assert.equal(again.count, 2);

    // Once the server has seen user 2 leave (member_removed), user 3 fits.
    const removed = once<{ id: string }>(oneRoom, 'pusher:member_removed');
    two.unsubscribe('presence-full');
    assert.equal((await removed).id, '2');
    // A new client: pusher-js keeps a channel refused by the server pending, and does not subscribe it again.
    const threeLater = asUser('3');
    await connected(threeLater);
    const joined = await once<{ count: number; members: Record<string, unknown> }>(threeLater.subscribe('presence-full'), 'pusher:subscription_succeeded');
    assert.equal(joined.count, 2);
    assert.deepEqual(Object.keys(joined.members).sort(), ['1', '3']);
  });
});

describe('pusher presence limit while the realm decides slowly', () => {
  // The pusher role's authorizer answers after a while, so two subscriptions wait on the router at once.
  const fx = pusherFixture(() => {
    const config = pusherConfig({}, { maxPresenceMembers: 2 });
    const roles = config.realms[0]!.roles;
    roles[roles.findIndex((role) => role.name === 'pusher')] = { name: 'pusher', authorizer: 'test.slow_authorize' };
    return config;
  });

  it('admits exactly one of two users who subscribe at once to the last place', async () => {
    const backend = await openAutobahn(fx.server.wampUrl);
    await backend.session.register('test.slow_authorize', () => new Promise((resolve) => setTimeout(() => resolve({ allow: true, cache: false }), 100)));
    const [four, five, six] = await Promise.all(['4', '5', '6'].map((user) => rawMember(fx.server.port, user)));
    four!.subscribe('presence-race');
    assert.equal(await four!.outcome, 'pusher_internal:subscription_succeeded');
    five!.subscribe('presence-race');
    six!.subscribe('presence-race');
    const outcomes = await Promise.all([five!.outcome, six!.outcome]);
    assert.deepEqual(outcomes.sort(), ['pusher:subscription_error', 'pusher_internal:subscription_succeeded']);
    for (const member of [four, five, six]) member!.ws.close();
    await backend.close();
  });
});

/** A raw Pusher connection that signs in (pusher:signin) as the app's user-auth endpoint would sign it. */
async function rawConnection(port: number): Promise<{ ws: WebSocket; signin(id: string): void; next(event: string): Promise<Record<string, unknown>> }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/app/${APP.key}?protocol=7`);
  const frames: { event: string; data: unknown }[] = [];
  const waiting = new Set<() => void>();
  ws.on('message', (data) => {
    frames.push(JSON.parse(data.toString()));
    for (const wake of waiting) wake();
  });
  /** The data of the first frame of `event` not taken yet (Pusher sends some as JSON text, pusher:error as an object). */
  const next = (event: string) => new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within 5 s`)), 5_000);
    const look = () => {
      const index = frames.findIndex((frame) => frame.event === event);
      if (index < 0) return;
      waiting.delete(look);
      clearTimeout(timer);
      const { data } = frames.splice(index, 1)[0]!;
      resolve((typeof data === 'string' ? JSON.parse(data) : data) as Record<string, unknown>);
    };
    waiting.add(look);
    look();
  });
  const socketId = (await next('pusher:connection_established')).socket_id as string;
  return {
    ws, next,
    signin(id) {
      const userData = JSON.stringify({ id });
      const auth = `${APP.key}:${createHmac('sha256', APP.secret).update(`${socketId}::user::${userData}`).digest('hex')}`;
      ws.send(JSON.stringify({ event: 'pusher:signin', data: { auth, user_data: userData } }));
    },
  };
}
