import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { skipWithoutDebian } from '../../../test/support/debian.js';
import { RunningRedis } from '../../../test/support/redis-server.js';
import { waitFor } from '../../../test/support/wait.js';
import { connectionName, fenceOff, namedConnection } from './redis-fence.js';

const skip = skipWithoutDebian('redis-server');
let redis: RunningRedis | undefined;
const clients: Redis[] = [];
before(async () => {
  if (!skip) redis = await RunningRedis.start();
});
after(async () => {
  clients.forEach((client) => client.disconnect());
  await redis?.stop();
});

function connect(name?: string): Redis {
  const client = new Redis(redis!.url, name === undefined ? {} : { connectionName: name, retryStrategy: () => null });
  client.on('error', () => {});
  clients.push(client);
  return client;
}

describe('connectionName', () => {
  it('reads the name= field of a CLIENT LIST line, empty or absent', () => {
    assert.equal(connectionName('id=7 addr=127.0.0.1:5 laddr=127.0.0.1:6379 fd=8 name=junction-backplane:a:1 age=0 db=0\n'), 'junction-backplane:a:1');
    assert.equal(connectionName('id=7 addr=127.0.0.1:5 name= age=0\n'), '');
    assert.equal(connectionName(''), undefined);
    assert.equal(connectionName('id=7 username=name=x age=0'), undefined, 'only a field of its own');
  });

  it('names a node\'s connection by role, node and process', () => {
    assert.equal(namedConnection('backplane', 'node-1', 'ab12'), 'junction-backplane:node-1:ab12');
    assert.equal(namedConnection('feeds', 'node-1', 'ab12'), 'junction-feeds:node-1:ab12');
  });
});

describe('fenceOff (a real redis-server)', { skip }, () => {
  it('kills the old connection when its id still has the name, and nothing when the id is another client\'s or gone', async () => {
    const name = namedConnection('backplane', 'n1', 'p1');
    const old = connect(name);
    const other = connect('someone-else');
    const fresh = connect(name);
    const [oldId, otherId] = [Number(await old.client('ID')), Number(await other.client('ID'))];
    await fresh.ping();

    await fenceOff(fresh, otherId, name);
    assert.equal(await other.ping(), 'PONG', 'a client of another name at that id is left alone');
    await fenceOff(fresh, oldId, name);
    await waitFor(() => old.status === 'end', 'the old connection closed by Redis');
    await fenceOff(fresh, oldId, name); // gone already: nothing to do
    assert.equal(await fresh.ping(), 'PONG');
  });
});
