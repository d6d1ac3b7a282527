import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configDocument, loadDocument, problemsOf, realmWithRoles } from './test-support.js';

/** A document whose realm1 has this `stats` block (and these options). */
function withStats(stats: unknown, options?: Record<string, unknown>): Record<string, unknown> {
  return configDocument({ realms: [{ ...realmWithRoles('realm1', ['anonymous'], options), stats }] });
}

describe('realm stats (session statistics)', () => {
  it('absent: no statistics', () => {
    assert.equal(loadDocument(configDocument({})).realms[0]!.options.stats, undefined);
  });

  it("keys not given get Crossbar's defaults (its code's: trigger_on_join false); the duration is read in seconds", () => {
    assert.deepEqual(loadDocument(withStats({ trigger_after_duration: 30 })).realms[0]!.options.stats, {
      ratedMessageSize: 512, afterRatedMessages: 0, afterDurationMs: 30_000, onJoin: false, onLeave: true,
    });
    assert.deepEqual(loadDocument(withStats({
      rated_message_size: 256, trigger_after_rated_messages: 10, trigger_after_duration: 0, trigger_on_join: true, trigger_on_leave: false,
    })).realms[0]!.options.stats, { ratedMessageSize: 256, afterRatedMessages: 10, afterDurationMs: 0, onJoin: true, onLeave: false });
  });

  it("refuses what Crossbar's asserts refuse: no trigger, an odd or non-positive size, wrong types; and an unknown key", () => {
    assert.deepEqual(problemsOf(withStats({ trigger_on_join: true })), [
      'workers[0].realms[0].stats: set trigger_after_rated_messages or trigger_after_duration (or both) above 0: Crossbar refuses a stats block with neither',
    ]);
    assert.deepEqual(problemsOf(withStats({ rated_message_size: 100.5, trigger_after_rated_messages: 1 })), [
      'workers[0].realms[0].stats.rated_message_size: expected a positive integer',
    ]);
    assert.deepEqual(problemsOf(withStats({ rated_message_size: 511, trigger_after_rated_messages: 1 })), [
      'workers[0].realms[0].stats.rated_message_size: expected a positive even number of bytes (Crossbar asserts an even size; its docs ask for a power of two)',
    ]);
    assert.deepEqual(problemsOf(withStats({ trigger_after_duration: -1 })), ['workers[0].realms[0].stats.trigger_after_duration: expected an integer >= 0']);
    assert.deepEqual(problemsOf(withStats({ trigger_after_duration: 5, trigger_on_leave: 'yes' })).length, 1);
    assert.match(problemsOf(withStats({ trigger_after_duration: 5, trigger_after_messages: 5 }))[0]!, /^workers\[0\]\.realms\[0\]\.stats\.trigger_after_messages: unknown key "trigger_after_messages"/);
  });

  it('refuses stats on a realm whose meta API is off: the reports are meta events', () => {
    assert.deepEqual(problemsOf(withStats({ trigger_after_duration: 5 }, { enable_meta_api: false })), [
      'workers[0].realms[0].stats: session statistics are published as a meta event: they need "enable_meta_api" (options) left on',
    ]);
  });
});
