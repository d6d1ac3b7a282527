import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SubscriberEcho } from './redis-echo.js';

describe('SubscriberEcho', () => {
  it('is overdue once an acknowledged heartbeat goes unheard past the limit, from its acknowledgement', () => {
    const echo = new SubscriberEcho(500);
    const first = echo.number();
    assert.equal(echo.overdueMs(10_000), undefined, 'nothing acknowledged, nothing owed');
    echo.acknowledged(first, 1_000);
    assert.equal(echo.overdueMs(1_500), undefined);
    assert.equal(echo.overdueMs(1_501), 501);
    echo.heard(first);
    assert.equal(echo.overdueMs(5_000), undefined);
  });

  it('matches an echo heard before its acknowledgement, and a later echo settles the earlier ones', () => {
    const echo = new SubscriberEcho(500);
    const [a, b, c] = [echo.number(), echo.number(), echo.number()];
    echo.heard(a);
    echo.acknowledged(a, 0);
    assert.equal(echo.overdueMs(10_000), undefined, 'heard before acknowledged');
    echo.acknowledged(b, 100);
    echo.acknowledged(c, 200);
    assert.equal(echo.overdueMs(1_000), 900, 'the oldest unheard one counts');
    echo.heard(c);
    assert.equal(echo.overdueMs(10_000), undefined);
  });

  it('is not overdue while the subscriber delivers other messages, only behind: it is busy, not deaf', () => {
    const echo = new SubscriberEcho(500);
    const owed = echo.number();
    echo.acknowledged(owed, 0);
    echo.delivered();
    assert.equal(echo.overdueMs(400), undefined);
    echo.delivered();
    assert.equal(echo.overdueMs(800), undefined, 'something arrived since the last check');
    assert.equal(echo.overdueMs(1_200), undefined, 'silent for 400 ms only');
    assert.equal(echo.overdueMs(1_400), 600, 'silent since the last delivery, 600 ms ago');
  });

  it('owes nothing after a new connection: what the old one was to deliver is not expected', () => {
    const echo = new SubscriberEcho(500);
    const lost = echo.number();
    echo.acknowledged(lost, 0);
    echo.reset();
    assert.equal(echo.overdueMs(10_000), undefined);
    echo.acknowledged(lost, 0); // its acknowledgement comes late: still not expected
    assert.equal(echo.overdueMs(10_000), undefined);
    const next = echo.number();
    echo.acknowledged(next, 1_000);
    assert.equal(echo.overdueMs(1_600), 600);
  });
});
