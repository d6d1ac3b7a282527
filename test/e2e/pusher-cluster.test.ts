import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CloseCode } from '../../src/transport/pusher/protocol.js';
import { APP, connected, HookReceiver, pusherClient, serverSdk, startAuthApp, type AuthApp, type PusherClient } from '../pusher/support.js';
import { freePort, junctionBin, projectRoot, RunningJunction } from '../support/cli.js';
import { openAutobahn } from '../support/autobahn.js';
import { skipWithoutDebian } from '../support/debian.js';
import { RunningRedis } from '../support/redis-server.js';
import { waitFor } from '../support/wait.js';
import { spawnOwned } from '../support/processes.js';

const CHANNEL = 'presence-room';

/** A router with a web transport (for /health) and a pusher transport whose app reports every channel and member webhook. */
function pusherClusterConfig(ports: { web: number; pusher: number }, webhookUrl: string, cluster?: object): object {
  return {
    version: 2,
    workers: [{
      type: 'router',
      realms: [{ name: 'realm1', roles: [{ name: 'anonymous', 'allow-by-default': true }, { name: 'pusher', 'allow-by-default': true }] }],
      transports: [
        { type: 'web', endpoint: { type: 'tcp', port: ports.web, interface: '127.0.0.1' }, paths: { ws: { type: 'websocket' }, health: { type: 'health' } } },
        {
          type: 'pusher', endpoint: { type: 'tcp', port: ports.pusher, interface: '127.0.0.1' },
          apps: [{
            ...APP, realm: 'realm1', role: 'pusher',
            webhooks: [{ url: webhookUrl, events: ['channel_occupied', 'channel_vacated', 'member_added', 'member_removed'] }],
          }],
        },
      ],
      ...(cluster ? { cluster } : {}),
    }],
  };
}

/** A pusher-js client of user `user` on the presence channel, with what it was told of the members. */
interface Member {
  client: PusherClient;
  user: string;
  socketId: string;
  /** The process that holds the connection: each process numbers its socket ids under its own random first part. */
  process: string;
  /** The members listed in the latest subscription_succeeded (pusher-js subscribes again after a reconnect), then every member_added and member_removed since, as "+id" and "-id". */
  initial: string[];
  changes: string[];
  /** Every member_added and member_removed ever told. */
  history: string[];
}

async function subscribe(port: number, auth: AuthApp, user: string, opened: Member[]): Promise<Member> {
  const headers = { 'X-User': user };
  const client = pusherClient(port, {
    channelAuthorization: { endpoint: auth.url, transport: 'ajax', headers },
    userAuthentication: { endpoint: auth.userUrl, transport: 'ajax', headers },
  });
  const socketId = await connected(client);
  const member: Member = { client, user, socketId, process: socketId.split('.')[0]!, initial: [], changes: [], history: [] };
  opened.push(member);
  const channel = client.subscribe(CHANNEL);
  let succeeded = false;
  channel.bind('pusher:subscription_succeeded', (members: { each(callback: (member: { id: string }) => void): void }) => {
    member.initial = [];
    member.changes = [];
    members.each((each) => void member.initial.push(String(each.id)));
    succeeded = true;
  });
  const told = (change: string): void => {
    member.changes.push(change);
    member.history.push(change);
  };
  channel.bind('pusher:member_added', (added: { id: string }) => told(`+${added.id}`));
  channel.bind('pusher:member_removed', (removed: { id: string }) => told(`-${removed.id}`));
  await waitFor(() => succeeded, `user ${user}'s subscription to ${CHANNEL}`);
  return member;
}

/** The members a client believes are on the channel now; throws if it was told of a user twice in a row. */
function seen(member: Member): string[] {
  const now = new Set(member.initial);
  for (const change of member.changes) {
    const id = change.slice(1);
    if (change.startsWith('+')) {
      assert.ok(!now.has(id), `${member.user} was told member_added for ${id}, already a member`);
      now.add(id);
    } else {
      assert.ok(now.has(id), `${member.user} was told member_removed for ${id}, not a member`);
      now.delete(id);
    }
  }
  return [...now].sort();
}

async function everyoneSees(members: Member[], users: string[]): Promise<void> {
  const expected = [...new Set(users)].sort();
  await waitFor(() => members.every((member) => seen(member).join() === expected.join()), `every client seeing members ${expected.join(', ')}`, 10_000);
}

/** The webhook events received, as "name id" (id: the user for member events, else the channel). */
function hooks(receiver: HookReceiver): string[] {
  return receiver.events().map((event) => `${String(event.name)} ${String(event.user_id ?? event.channel)}`);
}

function count(list: string[], item: string): number {
  return list.filter((each) => each === item).length;
}

interface ChannelFacts {
  occupied: boolean;
  subscription_count: number;
  user_count: number;
}

async function facts(pusherPort: number): Promise<{ channel: ChannelFacts; users: string[]; listed: Record<string, { user_count: number }> }> {
  const sdk = serverSdk(pusherPort);
  const channel = await (await sdk.get({ path: `/channels/${CHANNEL}`, params: { info: 'subscription_count,user_count' } })).json() as ChannelFacts;
  const users = (await (await sdk.get({ path: `/channels/${CHANNEL}/users` })).json() as { users: { id: string }[] }).users.map((user) => user.id).sort();
  const listed = (await (await sdk.get({ path: '/channels', params: { filter_by_prefix: 'presence-', info: 'user_count' } })).json() as { channels: Record<string, { user_count: number }> }).channels;
  return { channel, users, listed };
}

const running: RunningJunction[] = [];
const members: Member[] = [];
let auth: AuthApp;
let receiver: HookReceiver;
let dir: string;
before(async () => {
  auth = await startAuthApp();
  receiver = new HookReceiver();
  await receiver.start();
  dir = await mkdtemp(join(tmpdir(), 'junction-pusher-cluster-'));
});
after(async () => {
  for (const member of members.splice(0)) member.client.disconnect();
  running.forEach((junction) => junction.kill());
  await auth.close();
  await receiver.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('Pusher presence and channels across --workers 2 (the CLI, pusher-js, the pusher SDK)', () => {
  it('shows every member everywhere once, counts the whole router in the HTTP API, reports webhooks once, and terminates a user on both workers', async () => {
    const ports = { web: await freePort(), pusher: await freePort() };
    const config = join(dir, 'workers.json');
    await writeFile(config, JSON.stringify(pusherClusterConfig(ports, receiver.url)));
    const junction = RunningJunction.start(['--config', config, '--workers', '2', '--data-dir', join(dir, 'workers-data')]);
    running.push(junction);
    for (const node of ['w1', 'w2']) await junction.started((line) => line.msg === 'worker serving' && line.node === node);

    // Users 1, 2, ... until both workers hold some; then user 99 on each worker (one member, two connections).
    const opened: Member[] = [];
    for (let user = 1; user <= 16 && new Set(opened.map((member) => member.process)).size < 2; user++) await subscribe(ports.pusher, auth, String(user), opened);
    const processes = [...new Set(opened.map((member) => member.process))];
    assert.equal(processes.length, 2, 'clients landed on both workers');
    const twice: Member[] = [];
    for (let i = 0; i < 16 && new Set(twice.map((member) => member.process)).size < 2; i++) twice.push(await subscribe(ports.pusher, auth, '99', opened));
    assert.equal(new Set(twice.map((member) => member.process)).size, 2, 'user 99 has a connection on each worker');
    members.push(...opened);
    const users = [...new Set(opened.map((member) => member.user))];
    await everyoneSees(opened, users);
    for (const member of opened.filter((each) => each.user !== '99')) {
      assert.ok(count(member.changes, '+99') <= 1 && !(member.initial.includes('99') && member.changes.includes('+99')), `user ${member.user} was told of user 99 once`);
    }

    // The HTTP API answers for both workers, whichever gets the request.
    for (let i = 0; i < 4; i++) {
      const { channel, users: listedUsers, listed } = await facts(ports.pusher);
      assert.deepEqual(channel, { occupied: true, subscription_count: opened.length, user_count: users.length });
      assert.deepEqual(listedUsers, [...users].sort());
      assert.deepEqual(listed, { [CHANNEL]: { user_count: users.length } });
    }
    await waitFor(() => users.every((user) => hooks(receiver).includes(`member_added ${user}`)), 'a member_added webhook for every user', 10_000);

    // User 99 is signed in on both workers; one terminate_connections ends both connections.
    const signedIn = twice.map((member) => new Promise<void>((resolve) => member.client.connection.bind('message', (message: { event: string }) => {
      if (message.event === 'pusher:signin_success') resolve();
    })));
    for (const member of twice) member.client.signin();
    await Promise.all(signedIn);
    const closed = twice.map((member) => new Promise<number>((resolve) => member.client.connection.bind('error', (error: { data?: { code: number } }) => resolve(error.data?.code ?? 0))));
    await serverSdk(ports.pusher).terminateUserConnections('99');
    // Every connection of user 99 (two or more: the workers take connections as they come, not in turn).
    assert.deepEqual(await Promise.all(closed), twice.map(() => CloseCode.terminated));
    const rest = opened.filter((member) => member.user !== '99');
    await everyoneSees(rest, users.filter((user) => user !== '99'));
    await waitFor(() => hooks(receiver).includes('member_removed 99'), 'the member_removed webhook of user 99', 10_000);

    const received = hooks(receiver);
    assert.equal(count(received, `channel_occupied ${CHANNEL}`), 1, 'channel_occupied once for the router');
    for (const user of users) assert.equal(count(received, `member_added ${user}`), 1, `member_added ${user} once`);
    assert.equal(count(received, 'member_removed 99'), 1, 'member_removed 99 once');
    for (const member of rest) assert.equal(count(member.changes, '-99'), 1, `user ${member.user} told once that 99 left`);

    // Worker w2 killed -9: w1's clients see the users of w2 leave at once, then come back as pusher-js reconnects them.
    const w2 = await junction.worker('w2');
    const dropped = new Set<Member>();
    for (const member of rest) member.client.connection.bind('state_change', () => void dropped.add(member));
    const told = new Map(rest.map((member) => [member, member.history.length]));
    const removedHooks = hooks(receiver).length;
    w2.signal('SIGKILL');
    await waitFor(() => dropped.size > 0 && rest.filter((member) => !dropped.has(member)).every((member) =>
      [...dropped].every((gone) => member.history.slice(told.get(member)).includes(`-${gone.user}`))), 'w1\'s clients told that w2\'s users left', 10_000);
    for (const gone of dropped) {
      await waitFor(() => hooks(receiver).slice(removedHooks).includes(`member_removed ${gone.user}`), `the member_removed webhook of user ${gone.user}`, 10_000);
    }
    await everyoneSees(rest, users.filter((user) => user !== '99'));
    for (const gone of dropped) assert.equal(count(hooks(receiver).slice(removedHooks), `member_removed ${gone.user}`), 1, `member_removed ${gone.user} once`);
    for (const member of opened) member.client.disconnect();
    await waitFor(() => hooks(receiver).includes(`channel_vacated ${CHANNEL}`), 'channel_vacated', 10_000);
    junction.child.kill('SIGTERM'); // the parent stops its workers (a parent killed -9 leaves them to notice)
    assert.equal(await junction.waitForExit(), 0);
  });
});

const skipRedis = skipWithoutDebian('redis-server');

describe('Pusher presence and channels across two nodes through Redis (the CLI)', { skip: skipRedis }, () => {
  let redis: RunningRedis | undefined;
  after(() => redis?.stop());

  it('shows members across nodes, counts both in the HTTP API, reports webhooks once, and removes the members of a node killed -9', async () => {
    redis = await RunningRedis.start();
    receiver.accepted.length = 0;
    const start = async (nodeId: string): Promise<{ junction: RunningJunction; pusher: number; web: number }> => {
      const ports = { web: await freePort(), pusher: await freePort() };
      const config = join(dir, `${nodeId}.json`);
      await writeFile(config, JSON.stringify(pusherClusterConfig(ports, receiver.url, { redis: { url: '${REDIS_URL}' }, node_id: nodeId, heartbeat: 200, lease: 1000 })));
      // Each node has its own data folder (its own webhook outbox), as on its own machine.
      const child = spawnOwned(process.execPath, [junctionBin, 'start', '--config', config, '--data-dir', join(dir, `${nodeId}-data`)],
        { cwd: projectRoot, env: { ...process.env, REDIS_URL: redis!.url }, stdio: ['ignore', 'pipe', 'pipe'] });
      const junction = new RunningJunction(child);
      running.push(junction);
      await junction.started((line) => line.msg === 'joined the cluster');
      await junction.started((line) => line.msg === 'listening' && line.service === 'pusher');
      return { junction, ...ports };
    };
    const a = await start('n1'); // sorts first: the webhook node while it lives
    const b = await start('n2');

    const onA = await subscribe(a.pusher, auth, '1', members);
    const onB = await subscribe(b.pusher, auth, '2', members);
    await everyoneSees([onA, onB], ['1', '2']);
    for (const port of [a.pusher, b.pusher]) {
      const { channel, users, listed } = await facts(port);
      assert.deepEqual(channel, { occupied: true, subscription_count: 2, user_count: 2 }, 'either node counts both');
      assert.deepEqual(users, ['1', '2']);
      assert.deepEqual(listed, { [CHANNEL]: { user_count: 2 } });
    }
    await waitFor(() => ['member_added 1', 'member_added 2'].every((hook) => hooks(receiver).includes(hook)), 'member_added webhooks', 10_000);
    // A WAMP session on B sees the members of both nodes through the junction.pusher procedure.
    const wamp = await openAutobahn(`ws://127.0.0.1:${b.web}/ws`, 'json');
    const listed = await wamp.session.call('junction.pusher.members', [CHANNEL]) as { members: { user_id: string; user_info: unknown }[]; count: number };
    await wamp.close();
    assert.deepEqual(listed.members.sort((x, y) => x.user_id.localeCompare(y.user_id)), [
      { user_id: '1', user_info: { name: 'User 1' } }, { user_id: '2', user_info: { name: 'User 2' } },
    ]);

    a.junction.kill(); // -9: the webhook node dies with user 1's connection
    await everyoneSees([onB], ['2']);
    await waitFor(() => hooks(receiver).includes('member_removed 1'), 'member_removed 1 reported by the node that took over', 10_000);
    const { channel, users } = await facts(b.pusher);
    assert.deepEqual(channel, { occupied: true, subscription_count: 1, user_count: 1 });
    assert.deepEqual(users, ['2']);
    const received = hooks(receiver);
    assert.equal(count(received, `channel_occupied ${CHANNEL}`), 1, 'channel_occupied once for the cluster');
    for (const hook of ['member_added 1', 'member_added 2', 'member_removed 1']) assert.equal(count(received, hook), 1, `${hook} once`);
    assert.deepEqual(onB.changes, onB.initial.includes('1') ? ['-1'] : ['+1', '-1']);
    b.junction.kill();
  });
});
