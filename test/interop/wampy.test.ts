import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { Wampy } from 'wampy';

type WebSocketConstructor = NonNullable<ConstructorParameters<typeof Wampy>[1]>['ws'];
import { JsonSerializer } from 'wampy/JsonSerializer.js';
import { MsgpackSerializer } from 'wampy/MsgpackSerializer.js';
import { CborSerializer } from 'wampy/CborSerializer.js';
import { startTestNode } from '../support/node.js';

const node = await startTestNode();
after(() => node.stop());

const serializers = {
  json: () => new JsonSerializer(),
  msgpack: () => new MsgpackSerializer(),
  cbor: () => new CborSerializer(),
};

async function connect(serializer: keyof typeof serializers): Promise<Wampy> {
  const client = new Wampy(node.url, { realm: 'realm1', ws: WebSocket as unknown as WebSocketConstructor, serializer: serializers[serializer](), autoReconnect: false });
  await client.connect();
  return client;
}

for (const serializer of Object.keys(serializers) as (keyof typeof serializers)[]) {
  describe(`Wampy interop over ${serializer}`, () => {
    let a: Wampy;
    let b: Wampy;
    before(async () => {
      a = await connect(serializer);
      b = await connect(serializer);
    });
    after(async () => {
      await a.disconnect();
      await b.disconnect();
    });

    it('joins with a session ID', () => {
      // Wampy's msgpack/cbor decoders hand 64-bit integers over as BigInt, as they would from Crossbar.
      assert.ok(Number(a.getSessionId()) > 0);
    });

    it('publishes with args and kwargs to a subscriber, acknowledged', async () => {
      const topic = `wampy.chat.${serializer}`;
      let deliver!: (event: { argsList?: unknown[]; argsDict?: unknown }) => void;
      const received = new Promise<{ argsList?: unknown[]; argsDict?: unknown }>((resolve) => (deliver = resolve));
      await a.subscribe(topic, (event) => deliver(event));
      await b.publish(topic, { argsList: [1, 'two'], argsDict: { three: 3 } }, { acknowledge: true });
      const event = await received;
      assert.deepEqual(event.argsList, [1, 'two']);
      assert.deepEqual(event.argsDict, { three: 3 });
    });

    it('registers and calls with args and kwargs', async () => {
      const procedure = `wampy.add.${serializer}`;
      await a.register(procedure, ({ argsList, argsDict }) => ({
        argsList: [(argsList as number[])[0]! + (argsList as number[])[1]!],
        argsDict: { echoed: (argsDict as { tag: string }).tag },
      }));
      const result = await b.call(procedure, { argsList: [20, 22], argsDict: { tag: 'x' } });
      assert.deepEqual(result.argsList, [42]);
      assert.deepEqual(result.argsDict, { echoed: 'x' });
    });

    it('receives wamp.error.no_such_procedure and a callee error with its URI', async () => {
      await assert.rejects(b.call('wampy.nobody'), (error: { errorUri: string }) => error.errorUri === 'wamp.error.no_such_procedure');
      const procedure = `wampy.fail.${serializer}`;
      await a.register(procedure, () => {
        throw Object.assign(new Error('refused'), { error: 'com.example.refused', argsList: ['no'], argsDict: { code: 7 } });
      });
      await assert.rejects(b.call(procedure), (error: { errorUri: string; argsList: unknown[]; argsDict: unknown }) => {
        assert.equal(error.errorUri, 'com.example.refused');
        assert.deepEqual(error.argsList, ['no']);
        assert.deepEqual(error.argsDict, { code: 7 });
        return true;
      });
    });
  });
}
