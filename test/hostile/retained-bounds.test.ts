import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { defaultRealmLimits } from '../../src/config/schema-router.js';
import { MessageType as T } from '../../src/protocol/codes.js';
import { ErrorUri } from '../../src/protocol/errors.js';
import { startTestNode, testConfig } from '../support/node.js';
import { RawClient } from '../support/raw-client.js';

/**
 * Issue 11, item 5: one anonymous session retains 1,000 large events on as many topics (100 MB). On the
 * embedded default limits the realm keeps at most max_retained_bytes (64 MiB): past it, each
 * publication is refused whole (not delivered, not retained) and its acknowledged publisher gets
 * ERROR junction.error.limit_exceeded naming the limit. What was retained stays for later subscribers.
 */

const EVENTS = 1_000;
const PAYLOAD = 'x'.repeat(100_000);

const config = testConfig({ maxMessageSize: 2 * defaultRealmLimits.maxRetainedEventBytes });
config.realms[0]!.options.limits.publishRate = { perSecond: 0, burst: 0 }; // the flood is of bytes, not of rate
const node = await startTestNode(config);
after(() => node.stop());
const metrics = node.router.metrics;
const realm = { realm: 'realm1' };

describe('hostile: retained events', () => {
  it('1,000 retained events of 100 KB: refused past max_retained_bytes, and then not delivered either', async () => {
    const subscriber = await RawClient.open(node.url);
    await subscriber.hello();
    subscriber.send([T.SUBSCRIBE, 1, { match: 'prefix' }, 'big.']);
    await subscriber.next((m) => m[0] === T.SUBSCRIBED);
    const publisher = await RawClient.open(node.url);
    await publisher.hello();
    let events = 0;
    let refused = 0;
    for (let i = 1; i <= EVENTS; i++) {
      publisher.send([T.PUBLISH, i, { retain: true, acknowledge: true }, `big.t${i}`, [i, PAYLOAD]]);
      const answer = await publisher.next((m) => m[1] === T.PUBLISH || m[0] === T.PUBLISHED);
      if (answer[0] === T.ERROR) {
        refused++;
        assert.equal(answer[4], ErrorUri.limitExceeded);
        assert.match(String((answer[5] as unknown[])[0]), /max_retained_bytes is 67108864 .*neither delivered nor retained/);
      } else {
        await subscriber.next((m) => m[0] === T.EVENT && (m[4] as unknown[])[0] === i);
        events++;
      }
      assert.ok(metrics.retainedBytes.value(realm) <= defaultRealmLimits.maxRetainedBytes);
    }
    // A plain publication marks the end: the subscriber got exactly the accepted ones before it.
    publisher.send([T.PUBLISH, EVENTS + 1, { acknowledge: true }, 'big.end', ['end']]);
    await subscriber.next((m) => m[0] === T.EVENT && (m[4] as unknown[])[0] === 'end');
    assert.deepEqual(subscriber.messages.filter((m) => m[0] === T.EVENT), [], 'no refused publication was delivered');
    assert.equal(events, EVENTS - refused);
    const kept = Math.floor(defaultRealmLimits.maxRetainedBytes / (PAYLOAD.length + 20));
    assert.ok(Math.abs(EVENTS - refused - kept) <= 1, `kept ${EVENTS - refused}, about ${kept} expected`);
    assert.equal(metrics.retainedRefused.value({ ...realm, limit: 'max_retained_bytes' }), refused);
    assert.equal(metrics.retainedTopics.value(realm), EVENTS - refused);
    publisher.close();

    // After the publisher left, what was retained is still there for a newcomer (and nothing more).
    const late = await RawClient.open(node.url);
    await late.hello();
    late.send([T.SUBSCRIBE, 1, { get_retained: true }, 'big.t1']);
    late.send([T.SUBSCRIBE, 2, { get_retained: true }, `big.t${EVENTS}`]);
    await late.next((m) => m[0] === T.SUBSCRIBED && m[1] === 2);
    const retained = late.messages.filter((m) => m[0] === T.EVENT);
    assert.equal(retained.length, 1, 'the first topic kept its event; the last one was refused');
    late.close();
    subscriber.close();
  });

  it('an event larger than max_retained_event_bytes is refused; unacknowledged, it is counted', async () => {
    const publisher = await RawClient.open(node.url);
    await publisher.hello();
    const before = metrics.retainedRefused.value({ ...realm, limit: 'max_retained_event_bytes' });
    publisher.send([T.PUBLISH, 1, { retain: true }, 'huge', ['y'.repeat(defaultRealmLimits.maxRetainedEventBytes)]]);
    publisher.send([T.PUBLISH, 2, { acknowledge: true }, 'after']);
    await publisher.next((m) => m[0] === T.PUBLISHED);
    assert.equal(metrics.retainedRefused.value({ ...realm, limit: 'max_retained_event_bytes' }), before + 1);
    publisher.close();
  });
});
