import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openAutobahn, type OpenSession } from '../support/autobahn.js';
import { startTestNode } from '../support/node.js';
import { bridgeConfig, bridgeDefaults, EventLog, postPipelined, type PipelinedRequest } from './http-support.js';

/**
 * The HTTP publisher under HTTP/1.1 pipelining: several POSTs written to one connection in one
 * socket write are each answered, in order, each with its own outcome; a bad one in the middle
 * gets its own specific error and the others still publish, in order.
 */

const config = bridgeConfig({
  '/publish': { type: 'publisher', realm: 'realm1', role: 'anonymous', options: bridgeDefaults },
  '/publish-denied': { type: 'publisher', realm: 'realm1', role: 'listener', options: bridgeDefaults },
});
const node = await startTestNode(config);
const port = node.ports.get('test')!;
let alice: OpenSession;

before(async () => {
  alice = await openAutobahn(node.url);
});

after(async () => {
  await alice?.close();
  await node.stop();
});

const good = (topic: string, n: number): PipelinedRequest => ({ path: '/publish', body: { topic, args: [n] } });

describe('HTTP publisher, pipelined requests', () => {
  it('answers 16 POSTs sent in one write, in order, and publishes them in order', async () => {
    const topic = 'com.example.pipelined';
    const events = await EventLog.subscribe(alice.session, topic);
    const answers = await postPipelined(port, Array.from({ length: 16 }, (_, n) => good(topic, n)));
    assert.deepEqual(answers.map((answer) => answer.status), Array(16).fill(200));
    for (let n = 0; n < 16; n++) {
      const event = await events.next();
      assert.deepEqual(event.args, [n]);
      assert.deepEqual(answers[n]!.json, { id: event.details.publication });
    }
    assert.equal(answers.at(-1)!.headers.connection, 'keep-alive');
  });

  it('gives each bad request in the middle its own error while the others publish', async () => {
    const topic = 'com.example.pipelined_mixed';
    const events = await EventLog.subscribe(alice.session, topic);
    const requests: PipelinedRequest[] = [
      good(topic, 0),
      { path: '/publish', body: '{"topic": "a"' },
      good(topic, 1),
      { path: '/publish', body: { topic, arg: [] } },
      { path: '/publish-denied', body: { topic, args: ['denied'] } },
      { path: '/publish', body: 'topic=a', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      good(topic, 2),
      // Larger than post_body_limit (8192): refused, its rest read and dropped, the connection kept.
      { path: '/publish', body: { topic, args: ['x'.repeat(9000)] } },
      good(topic, 3),
    ];
    const answers = await postPipelined(port, requests);
    assert.deepEqual(answers.map((answer) => [answer.status, answer.json?.error]), [
      [200, undefined],
      [400, 'invalid_json'],
      [200, undefined],
      [400, 'unknown_field'],
      [403, 'wamp.error.not_authorized'],
      [415, 'unsupported_content_type'],
      [200, undefined],
      [413, 'body_too_large'],
      [200, undefined],
    ]);
    assert.match(answers[3]!.json.message, /unknown field "arg"/);
    assert.match(answers[7]!.json.message, /post_body_limit/);
    const accepted = answers.filter((answer) => answer.status === 200);
    for (let n = 0; n < accepted.length; n++) {
      const event = await events.next();
      assert.deepEqual(event.args, [n]);
      assert.deepEqual(accepted[n]!.json, { id: event.details.publication });
    }
  });
});
