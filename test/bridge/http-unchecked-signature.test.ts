import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { openAutobahn } from '../support/autobahn.js';
import { recordingLogger, startTestNode, type LogEntry } from '../support/node.js';
import { labelledMetric } from '../support/ws-probes.js';
import { bridgeConfig, bridgeDefaults, EventLog, post } from './http-support.js';

/**
 * A publisher or caller without key/secret takes a request that carries signature parameters, as
 * Crossbar does, and nothing checks them: the operator is told (a warning per path at most every
 * 10 s, never the values; a counter of every such request).
 */

const lines: LogEntry[] = [];
const config = bridgeConfig({
  '/publish': { type: 'publisher', realm: 'realm1', role: 'anonymous', options: bridgeDefaults },
  '/call': { type: 'caller', realm: 'realm1', role: 'anonymous', options: bridgeDefaults, maxTimeoutMs: 60_000 },
});
const node = await startTestNode(config, { log: recordingLogger(lines) });
const base = `http://127.0.0.1:${node.ports.get('test')}`;

/** Values no log line may show. */
const signing = { key: 'app-key-7', timestamp: new Date().toISOString(), seq: '5550123417', nonce: '982451653127', signature: 'c2lnbmF0dXJlLW5vdC1jaGVja2Vk' };

const warnings = (path: string): LogEntry[] => lines.filter((line) => line.level === 'warn' && line.fields.path === path && /signature parameters/.test(line.msg));
const counted = (service: string, path: string): number => labelledMetric(node, 'junction_http_bridge_unchecked_signatures_total', { service, path });

after(() => node.stop());

describe('signature parameters sent to a service without key/secret', () => {
  it('are accepted unchecked, counted each time, and warned about once per path within 10 s, naming the parameters and never their values', async () => {
    const subscriber = await openAutobahn(node.url);
    const events = await EventLog.subscribe(subscriber.session, 'com.myapp.unsigned');
    for (let round = 0; round < 3; round++) {
      const answer = await post(`${base}/publish?${new URLSearchParams({ ...signing, nonce: `${signing.nonce}${round}` })}`, { topic: 'com.myapp.unsigned', args: [round] });
      assert.equal(answer.status, 200, answer.text);
      assert.deepEqual((await events.next()).args, [round]);
    }
    await subscriber.close();
    assert.equal(counted('publisher', '/publish'), 3);
    const [warning, ...more] = warnings('/publish');
    assert.ok(warning, 'a warning for /publish');
    assert.deepEqual(more, [], 'one line within the interval');
    assert.equal(warning.fields.service, 'publisher');
    assert.deepEqual(warning.fields.parameters, ['key', 'timestamp', 'seq', 'nonce', 'signature']);
    const logged = JSON.stringify(lines);
    for (const value of [signing.key, signing.seq, signing.nonce, signing.signature, signing.timestamp]) assert.ok(!logged.includes(value), `the log shows no ${value}`);
  });

  it('counts the caller on its own path, also for a request that carries only some of them', async () => {
    const callee = await openAutobahn(node.url);
    await callee.session.register('com.example.add2', (args: number[]) => args[0]! + args[1]!);
    const answer = await post(`${base}/call?signature=${signing.signature}`, { procedure: 'com.example.add2', args: [1, 2] });
    await callee.close();
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answer.json, { args: [3] });
    assert.equal(counted('caller', '/call'), 1);
    assert.deepEqual(warnings('/call').map((line) => line.fields.parameters), [['signature']]);
  });

  it('leaves a request without them, or with other query parameters, alone', async () => {
    const before = lines.length;
    assert.equal((await post(`${base}/publish`, { topic: 'com.myapp.unsigned', args: [] })).status, 200);
    assert.equal((await post(`${base}/publish?utm_source=mail`, { topic: 'com.myapp.unsigned', args: [] })).status, 200);
    assert.equal(counted('publisher', '/publish'), 3);
    assert.deepEqual(lines.slice(before).filter((line) => line.level === 'warn'), []);
  });
});
