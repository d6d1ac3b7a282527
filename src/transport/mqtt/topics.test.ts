import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isServerTopic, startsWithWildcard, topicFilterToSubscription, topicNameToUri, TopicRefusal, uriToTopicName } from './topics.js';

describe('MQTT topics as WAMP URIs', () => {
  it('maps topic names level by level, both ways', () => {
    assert.equal(topicNameToUri('sensors/kitchen/temp'), 'sensors.kitchen.temp');
    assert.equal(topicNameToUri('single'), 'single');
    assert.equal(uriToTopicName('sensors.kitchen.setpoint'), 'sensors/kitchen/setpoint');
  });

  it('maps each URI to its own topic name, whatever was mapped before (the last one is remembered)', () => {
    const uris = ['a.b', 'a.b', 'a.b.c', '', 'single', 'a.b', 'x..y', 'a.b.c'];
    assert.deepEqual(uris.map(uriToTopicName), ['a/b', 'a/b', 'a/b/c', '', 'single', 'a/b', 'x//y', 'a/b/c']);
  });

  it('maps filters as Crossbar does: "+" to a wildcard, a trailing "#" to a prefix', () => {
    assert.deepEqual(topicFilterToSubscription('sensors/kitchen/temp'), { uri: 'sensors.kitchen.temp', match: 'exact' });
    assert.deepEqual(topicFilterToSubscription('sensors/+/temp'), { uri: 'sensors..temp', match: 'wildcard' });
    assert.deepEqual(topicFilterToSubscription('+/kitchen/+'), { uri: '.kitchen.', match: 'wildcard' });
    assert.deepEqual(topicFilterToSubscription('sensors/#'), { uri: 'sensors.', match: 'prefix' });
    assert.deepEqual(topicFilterToSubscription('a/b/#'), { uri: 'a.b.', match: 'prefix' });
    assert.deepEqual(topicFilterToSubscription('#'), { uri: '', match: 'prefix' });
  });

  it('refuses, with the reason, what cannot be a WAMP URI', () => {
    const refusals: [string, RegExp][] = [
      ['a/+/#', /"\+" and "#" together/],
      ['a/b+/c', /"\+" must stand alone/],
      ['a/#/c', /"#" must be the last level/],
      ['a/b#', /"#" must be the last level/],
      ['a.b/c', /containing "\."/],
      ['a b/c', /whitespace/],
      ['$SYS/broker/uptime', /reserved for the server/],
      ['a//c', /empty topic level/],
      ['', /empty topic/],
    ];
    for (const [filter, reason] of refusals) assert.throws(() => topicFilterToSubscription(filter), (error) => error instanceof TopicRefusal && reason.test(error.message), filter);
    assert.throws(() => topicNameToUri('a/+/c'), /must not contain the wildcards "\+" or "#" \(MQTT-3.3.2-2\)/);
    assert.throws(() => topicNameToUri('a/#'), /must not contain the wildcards "\+" or "#"/);
    assert.throws(() => topicNameToUri('/leading'), /empty topic level/);
    assert.throws(() => topicNameToUri('trailing/'), /empty topic level/);
    assert.throws(() => topicNameToUri('v1.2/x'), /containing "\."/);
  });

  it('maps a topic name the same way the second time and after many others, and refuses a bad one every time', () => {
    for (let round = 0; round < 2; round++) {
      assert.equal(topicNameToUri('sensors/kitchen/temp'), 'sensors.kitchen.temp');
      assert.throws(() => topicNameToUri('bad//level'), /empty topic level/);
    }
    for (let i = 0; i < 2_500; i++) assert.equal(topicNameToUri(`device/${i}/state`), `device.${i}.state`);
    assert.equal(topicNameToUri('sensors/kitchen/temp'), 'sensors.kitchen.temp');
    const long = Array.from({ length: 100 }, (_, i) => `level${i}`).join('/');
    assert.equal(topicNameToUri(long), long.replaceAll('/', '.'));
    assert.equal(topicNameToUri(long), long.replaceAll('/', '.'));
  });

  it('keeps the server\'s topics ("$...") and the router\'s own ("wamp....") from filters whose first level is a wildcard, as MQTT 4.7.2', () => {
    assert.deepEqual(['#', '+', '+/session/on_join', '+/+'].filter(startsWithWildcard), ['#', '+', '+/session/on_join', '+/+']);
    assert.deepEqual(['wamp/#', 'wamp/+/on_join', 'wamp/session/on_join', 'sensors/#', 'a/+/b'].filter(startsWithWildcard), []);
    assert.deepEqual(['wamp.session.on_join', 'wamp.subscription.on_create', '$sys.uptime'].filter(isServerTopic), ['wamp.session.on_join', 'wamp.subscription.on_create', '$sys.uptime']);
    // Only the first component: an application topic that looks like a meta topic further down is the application's.
    assert.deepEqual(['app.session.on_join', 'wampum.x', 'a.wamp.b', 'a.$b', 'wamp'].filter(isServerTopic), []);
  });
});
