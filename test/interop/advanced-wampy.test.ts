import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { Wampy } from 'wampy';
import { JsonSerializer } from 'wampy/JsonSerializer.js';
import { startTestNode } from '../support/node.js';
import { RawClient } from '../support/raw-client.js';

/**
 * The Advanced Profile end to end with Wampy (npm `wampy`) as the client, where Wampy supports
 * the feature. Wampy's callee announces neither call canceling nor progressive call invocations,
 * so a raw WebSocket client plays the callee for those.
 */

type WebSocketConstructor = NonNullable<ConstructorParameters<typeof Wampy>[1]>['ws'];
interface Delivery { details: Record<string, unknown>; argsList?: unknown[]; argsDict?: Record<string, unknown> }

const node = await startTestNode();
after(() => node.stop());

async function connect(): Promise<Wampy> {
  const client = new Wampy(node.url, { realm: 'realm1', ws: WebSocket as unknown as WebSocketConstructor, serializer: new JsonSerializer(), autoReconnect: false });
  await client.connect();
  return client;
}

/** A raw callee that announces call canceling and progressive call invocations. */
async function streamingCallee(procedure: string): Promise<RawClient> {
  const client = await RawClient.open(node.url);
  client.send([1, 'realm1', { roles: { callee: { features: { call_canceling: true, progressive_call_invocations: true, progressive_call_results: true } } } }]);
  await client.next((m) => m[0] === 2);
  client.send([64, 1, {}, procedure]);
  await client.next((m) => m[0] === 65);
  return client;
}

describe('Wampy - Advanced Profile', () => {
  let a: Wampy;
  let b: Wampy;
  before(async () => {
    a = await connect();
    b = await connect();
  });
  after(async () => {
    await a.disconnect();
    await b.disconnect();
  });

  it('subscribes with match "prefix" and "wildcard"; each event names its topic', async () => {
    const seen: [string, unknown, unknown][] = [];
    let done!: () => void;
    const allSeen = new Promise<void>((resolve) => (done = resolve));
    const record = (kind: string) => (event: Delivery) => {
      seen.push([kind, event.details.topic, event.argsList?.[0]]);
      if (seen.length === 2) done();
    };
    await a.subscribe('wy.prefix', record('prefix'), { match: 'prefix' });
    await a.subscribe('wy..status', record('wildcard'), { match: 'wildcard' });
    await b.publish('wy.prefix.deep.topic', { argsList: [1] }, { acknowledge: true });
    await b.publish('wy.room.status', { argsList: [2] }, { acknowledge: true });
    await allSeen;
    assert.deepEqual(seen.sort(), [['prefix', 'wy.prefix.deep.topic', 1], ['wildcard', 'wy.room.status', 2]]);
  });

  it('registers with match "wildcard"; the invocation names the procedure called', async () => {
    await a.register('wy.svc..get', ({ details }: Delivery) => ({ argsList: [details.procedure] }), { match: 'wildcard' });
    const result = await b.call('wy.svc.users.get');
    assert.deepEqual(result.argsList, ['wy.svc.users.get']);
  });

  it('shares a registration round-robin', async () => {
    await a.register('wy.shared', () => ({ argsList: ['a'] }), { invoke: 'roundrobin' });
    await b.register('wy.shared', () => ({ argsList: ['b'] }), { invoke: 'roundrobin' });
    const answers: unknown[] = [];
    for (let i = 0; i < 4; i++) answers.push((await a.call('wy.shared')).argsList?.[0]);
    assert.deepEqual(answers, ['a', 'b', 'a', 'b']);
  });

  it('streams a progressive call invocation into one INVOCATION request and gets the result', async () => {
    const callee = await streamingCallee('wy.upload');
    const { result, sendData } = b.progressiveCall('wy.upload', { argsList: ['part 1'] });
    const first = await callee.next((m) => m[0] === 68);
    sendData({ argsList: ['part 2'] });
    sendData({ argsList: ['last part'] }, { progress: false });
    const second = await callee.next((m) => m[0] === 68);
    const last = await callee.next((m) => m[0] === 68);
    assert.deepEqual([first[1], second[1]], [last[1], last[1]], 'one INVOCATION request ID for every chunk');
    assert.deepEqual([first, second, last].map((m) => [(m[3] as Record<string, unknown>).progress, (m[4] as unknown[])[0]]),
      [[true, 'part 1'], [true, 'part 2'], [undefined, 'last part']]);
    callee.send([70, last[1], {}, ['3 parts stored']]);
    assert.deepEqual((await result).argsList, ['3 parts stored']);
    callee.close();
  });

  it('refuses a progressive call invocation to a callee that cannot take one, with wamp.error.feature_not_supported', async () => {
    await a.register('wy.plain', () => ({ argsList: ['should not run'] }));
    const { result } = b.progressiveCall('wy.plain', { argsList: ['part 1'] });
    await assert.rejects(result, (error: { errorUri: string }) => error.errorUri === 'wamp.error.feature_not_supported');
  });

  it('receives progressive results (from a callee that announced them; Wampy\'s callee does not)', async () => {
    const callee = await streamingCallee('wy.count');
    const progress: unknown[] = [];
    const final = b.call('wy.count', undefined, { progress_callback: (partial) => void progress.push(partial.argsList?.[0]) });
    const invocation = await callee.next((m) => m[0] === 68);
    assert.equal((invocation[3] as Record<string, unknown>).receive_progress, true);
    callee.send([70, invocation[1], { progress: true }, [1]]);
    callee.send([70, invocation[1], { progress: true }, [2]]);
    callee.send([70, invocation[1], {}, [3]]);
    assert.deepEqual((await final).argsList, [3]);
    assert.deepEqual(progress, [1, 2]);
    callee.close();
  });

  it('cancels a call in "killnowait" mode: the caller gets wamp.error.canceled and the callee INTERRUPT', async () => {
    const callee = await streamingCallee('wy.slow');
    const call = b.call('wy.slow');
    const request = b.getOpStatus().reqId;
    const invocation = await callee.next((m) => m[0] === 68);
    b.cancel(request, { mode: 'killnowait' });
    await assert.rejects(call, (error: { errorUri: string }) => error.errorUri === 'wamp.error.canceled');
    const interrupt = await callee.next((m) => m[0] === 69);
    assert.equal(interrupt[1], invocation[1]);
    assert.deepEqual(interrupt[2], { mode: 'killnowait' });
    callee.close();
  });

  it('times out a call the callee does not answer, and interrupts a callee that can be interrupted', async () => {
    const callee = await streamingCallee('wy.never');
    await assert.rejects(b.call('wy.never', undefined, { timeout: 20 }), (error: { errorUri: string }) => error.errorUri === 'wamp.error.timeout');
    assert.deepEqual((await callee.next((m) => m[0] === 69))[2], { mode: 'killnowait' });
    callee.close();
  });

  it('delivers a retained event on get_retained', async () => {
    // Wampy 8 checks a publication's `retain` option but does not send it: a raw client publishes.
    const publisher = await RawClient.open(node.url);
    await publisher.hello();
    publisher.send([16, 1, { retain: true, acknowledge: true }, 'wy.retained', ['kept']]);
    await publisher.next((m) => m[0] === 17);
    publisher.close();
    const event = await new Promise<Delivery>((resolve) => void a.subscribe('wy.retained', resolve, { get_retained: true }));
    assert.deepEqual(event.argsList, ['kept']);
    assert.equal(event.details.retained, true);
  });

  it('calls the meta API and receives meta events', async () => {
    const count = (await a.call('wamp.session.count')).argsList?.[0] as number;
    assert.ok(count >= 2);
    let joined!: (event: Delivery) => void;
    const onJoin = new Promise<Delivery>((resolve) => (joined = resolve));
    await a.subscribe('wamp.session.on_join', joined);
    const visitor = await connect();
    const event = await onJoin;
    assert.equal(Number((event.argsList?.[0] as { session: number }).session), Number(visitor.getSessionId()));
    assert.equal((await a.call('wamp.session.count')).argsList?.[0], count + 1);
    await visitor.disconnect();
  });
});
