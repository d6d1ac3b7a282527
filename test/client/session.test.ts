/**
 * The client against a real Junction router started in this process, over each serializer:
 * pub/sub in both forms, RPC, errors, progressive results both ways, cancel and timeout.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect, Result, WampError, type Session } from '../../src/client/index.js';
import { startTestNode } from '../support/node.js';

const node = await startTestNode();
after(() => node.stop());

for (const serializer of ['json', 'msgpack', 'cbor'] as const) {
  describe(`client against the router over ${serializer}`, { timeout: 20_000 }, () => {
    let a: Session;
    let b: Session;
    before(async () => {
      a = await connect({ url: node.url, realm: 'realm1', serializers: [serializer], reconnect: false });
      b = await connect({ url: node.url, realm: 'realm1', serializers: [serializer], reconnect: false });
    });
    after(async () => {
      await a.leave();
      await b.leave();
    });

    it('joins with a session id and the router roles', () => {
      assert.ok(Number.isInteger(a.id) && a.id > 0 && a.id !== b.id);
      const roles = a.details.roles as Record<string, unknown>;
      assert.ok(roles.broker && roles.dealer);
    });

    it('delivers a publication to a handler, acknowledged with a publication id', async () => {
      const topic = `client.${serializer}.news`;
      let deliver!: (event: unknown[]) => void;
      const delivered = new Promise<unknown[]>((resolve) => (deliver = resolve));
      await a.subscribe<[string, number], { from: string }>(topic, (args, kwargs, details) => deliver([args, kwargs, details.topic]));
      const publication = await b.publish(topic, ['hello', 42], { from: 'b' }, { acknowledge: true });
      assert.ok(Number.isInteger(publication) && publication! > 0);
      assert.deepEqual(await delivered, [['hello', 42], { from: 'b' }, topic]);
    });

    it('iterates publications and unsubscribes when the loop ends', async () => {
      const topic = `client.${serializer}.stream`;
      const subscription = await a.subscribe(topic);
      for (let i = 1; i <= 3; i++) await b.publish(topic, [i], undefined, { acknowledge: true });
      const seen: unknown[] = [];
      for await (const event of subscription) {
        seen.push(event.args[0]);
        if (seen.length === 3) break;
      }
      assert.deepEqual(seen, [1, 2, 3]);
      assert.equal(subscription.isActive, false);
    });

    it('calls a registered procedure with args and kwargs and gets a Result', async () => {
      const procedure = `client.${serializer}.add`;
      const registration = await a.register<[number, number], { scale: number }>(procedure, ([x, y], { scale }) => new Result([(x + y) * scale], { scaled: true }));
      const result = await b.call<[number, number], { scale: number }, [number]>(procedure, [2, 3], { scale: 10 });
      assert.deepEqual([result.args, result.kwargs], [[50], { scaled: true }]);
      await registration.unregister();
      await assert.rejects(b.call(procedure), (error: unknown) => error instanceof WampError && error.uri === 'wamp.error.no_such_procedure');
    });

    it('carries an endpoint error to the caller as a WampError', async () => {
      const procedure = `client.${serializer}.fail`;
      await a.register(procedure, () => {
        throw new WampError('com.example.invalid', ['bad input'], { field: 'x' });
      });
      await assert.rejects(b.call(procedure), (error: unknown) =>
        error instanceof WampError && error.uri === 'com.example.invalid' && error.args[0] === 'bad input' && error.kwargs.field === 'x');
    });

    it('streams progressive results from an async generator to callStream and onProgress', async () => {
      const procedure = `client.${serializer}.count`;
      await a.register(procedure, async function* ([n]: [number]) {
        for (let i = 1; i <= n; i++) yield i;
        return 'done';
      });
      const streamed: unknown[] = [];
      for await (const result of b.callStream(procedure, [3])) streamed.push([result.args[0], result.progress]);
      assert.deepEqual(streamed, [[1, true], [2, true], [3, true], ['done', false]]);
      const progress: unknown[] = [];
      const final = await b.call(procedure, [2], undefined, { onProgress: (result) => progress.push(result.args[0]) });
      assert.deepEqual([progress, final.args], [[1, 2], ['done']]);
    });

    it('cancels a call through its AbortSignal: the callee is interrupted', async () => {
      const procedure = `client.${serializer}.slow`;
      let started!: () => void;
      const running = new Promise<void>((resolve) => (started = resolve));
      let interrupted!: (reason: unknown) => void;
      const interruption = new Promise((resolve) => (interrupted = resolve));
      await a.register(procedure, (_args, _kwargs, details) => {
        started();
        return new Promise((_resolve, reject) => {
          details.signal.addEventListener('abort', () => {
            interrupted(details.signal.reason);
            reject(details.signal.reason);
          });
        });
      });
      const controller = new AbortController();
      const calling = b.call(procedure, [], {}, { signal: controller.signal, cancelMode: 'kill' });
      await running;
      controller.abort();
      await assert.rejects(calling, { name: 'AbortError' });
      const reason = await interruption;
      assert.ok(reason instanceof WampError && reason.uri === 'wamp.error.canceled');
    });

    it('cancels a call in mode skip: settled at once, the callee is not interrupted, its late answer is dropped', async () => {
      const procedure = `client.${serializer}.skipped`;
      let started!: () => void;
      const running = new Promise<void>((resolve) => (started = resolve));
      let answer!: (value: string) => void;
      let interrupted = false;
      await a.register(procedure, (_args, _kwargs, details) => {
        details.signal.addEventListener('abort', () => (interrupted = true));
        started();
        return new Promise<string>((resolve) => (answer = resolve));
      });
      await a.register(`client.${serializer}.echo`, (args) => new Result(args));
      const controller = new AbortController();
      const calling = b.call(procedure, [], {}, { signal: controller.signal, cancelMode: 'skip' });
      await running;
      controller.abort();
      await assert.rejects(calling, { name: 'AbortError' });
      answer('late');
      // A round trip through the router after the late YIELD: had anything reached b, it would have come first.
      assert.deepEqual((await b.call(`client.${serializer}.echo`, ['after'])).args, ['after']);
      assert.equal(interrupted, false, 'skip does not interrupt the callee');
    });

    it('times out a call and interrupts the callee', async () => {
      const procedure = `client.${serializer}.never`;
      let interrupted!: () => void;
      const interruption = new Promise<void>((resolve) => (interrupted = resolve));
      await a.register(procedure, (_args, _kwargs, details) => new Promise(() => details.signal.addEventListener('abort', () => interrupted())));
      await assert.rejects(b.call(procedure, [], {}, { timeout: 100 }), (error: unknown) => error instanceof WampError && error.uri === 'wamp.error.timeout');
      await interruption;
    });
  });
}
