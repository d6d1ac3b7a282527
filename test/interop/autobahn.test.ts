import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import autobahn from 'autobahn';
import { autobahnConsole, openAutobahn, type OpenSession, type SerializerName } from '../support/autobahn.js';
import { startTestNode } from '../support/node.js';

const node = await startTestNode();
after(() => node.stop());

for (const serializer of ['json', 'msgpack', 'cbor'] as SerializerName[]) {
  describe(`AutobahnJS interop over ${serializer}`, () => {
    let a: OpenSession;
    let b: OpenSession;
    before(async () => {
      a = await openAutobahn(node.url, serializer);
      b = await openAutobahn(node.url, serializer);
    });
    after(async () => {
      await a.close();
      await b.close();
    });

    it('joins realm1 with a session ID and the router roles', () => {
      assert.ok(Number.isInteger(a.session.id) && a.session.id > 0);
      assert.equal(a.session.realm, 'realm1');
    });

    it('publishes with args and kwargs to a subscriber, with PUBLISHED on acknowledge', async () => {
      let deliver!: (event: [unknown[], Record<string, unknown>]) => void;
      const received = new Promise<[unknown[], Record<string, unknown>]>((resolve) => (deliver = resolve));
      await a.session.subscribe(`chat.${serializer}`, (args: unknown[], kwargs: Record<string, unknown>) => deliver([args, kwargs]));
      const publication = await b.session.publish(`chat.${serializer}`, ['hello', 42], { from: 'b', nested: { list: [1, 2] } }, { acknowledge: true });
      assert.ok(Number.isInteger(publication.id) && publication.id > 0);
      const [args, kwargs] = await received;
      assert.deepEqual(args, ['hello', 42]);
      assert.deepEqual(kwargs, { from: 'b', nested: { list: [1, 2] } });
    });

    it('does not echo a publication to its publisher unless exclude_me is false', async () => {
      const topic = `echo.${serializer}`;
      const events: unknown[] = [];
      await a.session.subscribe(topic, (args: unknown[]) => events.push(args[0]));
      await a.session.publish(topic, ['excluded'], {}, { acknowledge: true });
      const echoed = new Promise((resolve) => a.session.subscribe(topic, resolve));
      await a.session.publish(topic, ['included'], {}, { acknowledge: true, exclude_me: false });
      await echoed;
      assert.ok(!events.includes('excluded'));
      assert.ok(events.includes('included'));
    });

    it('registers and calls with args and kwargs', async () => {
      const procedure = `com.math.add.${serializer}`;
      await a.session.register(procedure, (args: number[], kwargs: { scale: number }) =>
        new autobahn.Result([(args[0]! + args[1]!) * kwargs.scale], { scaled: true }));
      const result = await b.session.call(procedure, [2, 3], { scale: 10 });
      assert.deepEqual(result.args, [50]);
      assert.deepEqual(result.kwargs, { scaled: true });
    });

    it('receives a callee error with its URI, args and kwargs', async () => {
      const procedure = `com.fail.${serializer}`;
      await a.session.register(procedure, () => {
        throw new autobahn.Error('com.myapp.error.overflow', ['too large'], { limit: 100 });
      });
      await assert.rejects(b.session.call(procedure, [1000]), (error: { error: string; args: unknown[]; kwargs: unknown }) => {
        assert.equal(error.error, 'com.myapp.error.overflow');
        assert.deepEqual(error.args, ['too large']);
        assert.deepEqual(error.kwargs, { limit: 100 });
        return true;
      });
      // AutobahnJS reports the handler's exception on the console: kept by the support module, not printed.
      assert.match(autobahnConsole.at(-1) ?? '', /^Exception raised in invocation handler: .*com\.myapp\.error\.overflow/s);
    });

    it('gets wamp.error.no_such_procedure and wamp.error.procedure_already_exists', async () => {
      await assert.rejects(b.session.call('com.nobody.home'), (error: { error: string }) => error.error === 'wamp.error.no_such_procedure');
      const procedure = `com.once.${serializer}`;
      await a.session.register(procedure, () => 1);
      await assert.rejects(b.session.register(procedure, () => 2), (error: { error: string }) => error.error === 'wamp.error.procedure_already_exists');
    });

    if (serializer !== 'json') {
      it('carries binary payloads as bytes', async () => {
        const procedure = `com.bytes.${serializer}`;
        await a.session.register(procedure, (args: Uint8Array[]) => Buffer.from(args[0]!).reverse());
        const result = await b.session.call(procedure, [Buffer.from([1, 2, 3, 255])]);
        assert.deepEqual([...result], [255, 3, 2, 1]);
      });
    }
  });
}
