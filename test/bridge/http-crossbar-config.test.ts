import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { parseConfig } from '../../src/config/index.js';
import { openAutobahn, type OpenSession } from '../support/autobahn.js';
import { debianNeed, skipWithoutDebian } from '../support/debian.js';
import { crossbarAnonymousEverything, startTestNode } from '../support/node.js';
import { EventLog, post } from './http-support.js';

/** The "done when", from a Crossbar-format file: publisher, caller and webhook paths beside a websocket path. */

const config = parseConfig({
  version: 2,
  workers: [{
    type: 'router',
    realms: [{ name: 'realm1', roles: [crossbarAnonymousEverything], options: { uri_check: 'loose' } }],
    transports: [{
      type: 'web',
      id: 'web',
      endpoint: { type: 'tcp', port: 0, interface: '127.0.0.1' },
      paths: {
        ws: { type: 'websocket' },
        publish: { type: 'publisher', realm: 'realm1', role: 'anonymous' },
        call: { type: 'caller', realm: 'realm1', role: 'anonymous', options: { post_body_limit: 1024 } },
        hooks: { type: 'path', paths: { github: { type: 'webhook', realm: 'realm1', role: 'anonymous', options: { topic: 'com.myapp.hook' } } } },
      },
    }],
  }],
}, { source: 'http-crossbar-config.test' });
const node = await startTestNode(config);
const base = `http://127.0.0.1:${node.ports.get('web')}`;
let subscriber: OpenSession;

before(async () => {
  subscriber = await openAutobahn(`ws://127.0.0.1:${node.ports.get('web')}/ws`);
  await subscriber.session.register('com.example.add2', (args: number[]) => args[0]! + args[1]!);
});

after(async () => {
  await subscriber?.close();
  await node.stop();
});

describe('HTTP bridge from a Crossbar-format config', () => {
  it('the issue\'s curl publish reaches an AutobahnJS subscriber as [{"foo": "bar"}] and answers with the publication id', { skip: skipWithoutDebian('curl') }, async () => {
    const events = await EventLog.subscribe(subscriber.session, 'some-channel');
    const { stdout } = await promisify(execFile)(debianNeed('curl').file, ['-s', '-H', 'Content-Type: application/json',
      '-d', '{"topic": "some-channel", "args": [{"foo": "bar"}]}', `${base}/publish`]);
    const event = await events.next();
    assert.deepEqual(event.args, [{ foo: 'bar' }]);
    assert.deepEqual(JSON.parse(stdout), { id: event.details.publication });
  });

  it('serves the caller with its post_body_limit', async () => {
    assert.deepEqual((await post(`${base}/call`, { procedure: 'com.example.add2', args: [1, 2] })).json, { args: [3] });
    const tooLarge = await post(`${base}/call`, { procedure: 'com.example.add2', args: ['x'.repeat(1024)] });
    assert.equal(tooLarge.status, 413);
  });

  it('serves a webhook on a nested path with the default answers', async () => {
    const events = await EventLog.subscribe(subscriber.session, 'com.myapp.hook');
    const answer = await post(`${base}/hooks/github`, 'hello', { headers: { 'content-type': 'text/plain' } });
    assert.deepEqual([answer.status, answer.text], [202, 'OK']);
    assert.equal(((await events.next()).args[0] as { body: string }).body, 'hello');
  });
});
