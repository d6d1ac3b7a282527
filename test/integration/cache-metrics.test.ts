import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { MessageType as T } from '../../src/protocol/codes.js';
import { metric, mqttTestConfig, RawMqtt } from '../support/mqtt.js';
import { startTestNode } from '../support/node.js';
import { RawClient } from '../support/raw-client.js';

/**
 * The bounded caches a client fills are metered (README limits table): a static role's
 * remembered decisions, the shared HELLO roles, the MQTT topic-name table. Their gauges are read
 * at scrape time; their counters say when a full cache was let go.
 */

const node = await startTestNode(mqttTestConfig());
after(() => node.stop());
const scrape = (name: string): number => metric(node.metrics.exposition(), name);

/** A session of the anonymous role (every session here shares its permission table). */
async function joined(): Promise<RawClient> {
  const client = await RawClient.open(node.url);
  assert.equal((await client.hello())[0], T.WELCOME);
  return client;
}

/**
 * Publishes to `count` distinct topics under `prefix`, each session at most 1,500 (within its
 * publish rate's burst), the last acknowledged: all were authorized by then.
 */
async function publishToMany(prefix: string, count: number): Promise<void> {
  for (let first = 0; first < count; first += 1_500) {
    const client = await joined();
    const last = Math.min(count, first + 1_500) - 1;
    for (let index = first; index < last; index++) client.send([T.PUBLISH, index + 1, {}, `${prefix}.${index}`, []]);
    client.send([T.PUBLISH, last + 1, { acknowledge: true }, `${prefix}.${last}`, []]);
    await client.next((m) => m[0] === T.PUBLISHED && m[1] === last + 1, 30_000);
    client.close();
  }
}

describe('cache metrics', () => {
  it('counts a static role\'s remembered URIs and the decisions let go when its table was full', async () => {
    const client = await joined();
    assert.ok(scrape('junction_client_roles_shared ') >= 1, 'the HELLO roles are shared');
    const before = scrape('junction_authorization_cached{realm="realm1"}');
    await publishToMany('cache.a', 100);
    assert.equal(scrape('junction_authorization_cached{realm="realm1"}'), before + 100);
    assert.equal(scrape('junction_authorization_cache_dropped_total '), 0);

    await publishToMany('cache.b', 4_096);
    const dropped = scrape('junction_authorization_cache_dropped_total ');
    assert.equal(dropped, 4_096, 'the full table (4,096 URIs) was let go once');
    assert.ok(scrape('junction_authorization_cached{realm="realm1"}') < 4_096);
    client.close();
  });

  it('counts the MQTT topic names remembered and the times the table was emptied', async () => {
    const mqtt = await RawMqtt.open(node.ports.get('mqtt')!, 5);
    await mqtt.connect();
    const before = scrape('junction_mqtt_topic_names_cached ');
    for (let index = 0; index < 10; index++) mqtt.send({ cmd: 'publish', topic: `cache/t${index}`, payload: '1', qos: 0, retain: false, dup: false });
    await mqtt.sync();
    assert.equal(scrape('junction_mqtt_topic_names_cached '), before + 10);
    assert.equal(scrape('junction_mqtt_topic_name_cache_clears_total '), 0);
    for (let index = 0; index < 1_000; index++) mqtt.send({ cmd: 'publish', topic: `cache/u${index}`, payload: '1', qos: 0, retain: false, dup: false });
    await mqtt.sync();
    assert.equal(scrape('junction_mqtt_topic_name_cache_clears_total '), 1);
    mqtt.end();
  });
});
