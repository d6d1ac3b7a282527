import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { openAutobahn, type OpenSession } from '../support/autobahn.js';
import { startTestNode } from '../support/node.js';
import { waitFor } from '../support/wait.js';
import { bridgeConfig, bridgeDefaults, EventLog, post } from './http-support.js';

/**
 * The HTTP publisher however a POST arrives: a body in several pieces or chunked, a client that
 * leaves mid-body, and a publication the router acknowledges only later (a dynamic authorizer),
 * which is answered once it does. The usual POST, acknowledged during the call, is answered in
 * the same turn (http-publisher.test.ts); these are the other ways through the same code.
 */

const config = bridgeConfig({
  '/publish': { type: 'publisher', realm: 'realm1', role: 'anonymous', options: bridgeDefaults },
  '/publish-asked': { type: 'publisher', realm: 'realm1', role: 'asked', options: bridgeDefaults },
});
config.realms[0]!.roles.push({ name: 'asked', authorizer: 'com.example.authorize' });
const node = await startTestNode(config);
const port = node.ports.get('test')!;
const base = `http://127.0.0.1:${port}`;
let alice: OpenSession;

before(async () => {
  alice = await openAutobahn(node.url);
  // The application's permission check: com.open.* may be published, the rest not.
  await alice.session.register('com.example.authorize', (args: unknown[]) => String(args[1]).startsWith('com.open.'));
});

after(async () => {
  await alice?.close();
  await node.stop();
});

/** Writes `parts` to a new connection a few ms apart and resolves with the raw answer once the connection has one. */
function sendInParts(parts: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', async () => {
      for (const part of parts) {
        socket.write(part);
        await new Promise((wait) => setTimeout(wait, 10));
      }
    });
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString('utf8');
      const end = answer.indexOf('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(answer)?.[1];
      if (end >= 0 && length !== undefined && answer.length >= end + 4 + Number(length)) {
        socket.destroy();
        resolve(answer);
      }
    });
    socket.on('error', reject);
  });
}

const head = (headers: string): string => `POST /publish HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n${headers}\r\n`;

describe('HTTP publisher, how the request arrives', () => {
  it('publishes a body that arrives in several pieces once its Content-Length is in', async () => {
    const events = await EventLog.subscribe(alice.session, 'com.example.pieces');
    const body = JSON.stringify({ topic: 'com.example.pieces', args: ['in pieces'] });
    const answer = await sendInParts([head(`content-length: ${body.length}\r\n`), body.slice(0, 10), body.slice(10, 20), body.slice(20)]);
    assert.match(answer, /^HTTP\/1\.1 200 /);
    const event = await events.next();
    assert.deepEqual(event.args, ['in pieces']);
    assert.ok(answer.endsWith(`{"id":${event.details.publication}}`), answer);
  });

  it('publishes a chunked body', async () => {
    const events = await EventLog.subscribe(alice.session, 'com.example.chunked');
    const body = JSON.stringify({ topic: 'com.example.chunked', args: ['chunked'] });
    const chunk = (text: string): string => `${text.length.toString(16)}\r\n${text}\r\n`;
    const answer = await sendInParts([head('transfer-encoding: chunked\r\n'), chunk(body.slice(0, 15)), `${chunk(body.slice(15))}0\r\n\r\n`]);
    assert.match(answer, /^HTTP\/1\.1 200 /);
    assert.deepEqual((await events.next()).args, ['chunked']);
  });

  it('refuses an empty body as invalid JSON', async () => {
    const answer = await sendInParts([head('content-length: 0\r\n')]);
    assert.match(answer, /^HTTP\/1\.1 400 /);
    assert.match(answer, /"error":"invalid_json"/);
  });

  it('counts a client that leaves mid-body, publishes nothing for it, and serves the next one', async () => {
    const events = await EventLog.subscribe(alice.session, 'com.example.left');
    const gone = /junction_http_bridge_requests_total\{outcome="client_gone",path="\/publish",service="publisher"\} 1\b/;
    const body = JSON.stringify({ topic: 'com.example.left', args: ['never'] });
    const socket = connect(port, '127.0.0.1', () => socket.write(head(`content-length: ${body.length}\r\n`) + body.slice(0, 10)));
    socket.on('error', () => {});
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.destroy();
    await waitFor(() => gone.test(node.metrics.exposition()), 'the client_gone count');
    const answer = await post(`${base}/publish`, { topic: 'com.example.left', args: ['next'] });
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual((await events.next()).args, ['next'], 'the body cut short was not published');
  });

  it('answers once a dynamic authorizer has allowed the publication, and 403 when it refuses', async () => {
    const events = await EventLog.subscribe(alice.session, 'com.open.asked');
    const allowed = await post(`${base}/publish-asked`, { topic: 'com.open.asked', args: ['allowed'] });
    assert.equal(allowed.status, 200, allowed.text);
    const event = await events.next();
    assert.deepEqual([event.args, allowed.json], [['allowed'], { id: event.details.publication }]);
    const refused = await post(`${base}/publish-asked`, { topic: 'com.closed.asked', args: ['refused'] });
    assert.equal(refused.status, 403, refused.text);
    assert.equal(refused.json.error, 'wamp.error.not_authorized');
  });
});
