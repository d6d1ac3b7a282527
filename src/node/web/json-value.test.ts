import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningNode } from '../node.js';
import { startTestNode, testConfig } from '../../../test/support/node.js';

describe('json path service', () => {
  let node: RunningNode;
  let base: string;
  const value = { motd: 'hello <world>', list: [1, 2, { deep: true }], none: null };

  before(async () => {
    const config = testConfig();
    const paths = config.listeners[0]!.paths;
    paths['/plain'] = { type: 'json', value, prettify: false, allowCrossOrigin: false, discourageCaching: false };
    paths['/fancy'] = { type: 'json', value, prettify: true, allowCrossOrigin: true, discourageCaching: true };
    paths['/scalar'] = { type: 'json', value: 42, prettify: false, allowCrossOrigin: false, discourageCaching: false };
    node = await startTestNode(config);
    base = `http://127.0.0.1:${node.ports.get('test')}`;
  });
  after(() => node?.stop());

  it('answers GET with the value, compact and without extra headers by default', async () => {
    const response = await fetch(`${base}/plain`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.equal(response.headers.get('access-control-allow-origin'), null);
    assert.equal(response.headers.get('cache-control'), null);
    assert.equal(await response.text(), JSON.stringify(value));
    assert.equal(await (await fetch(`${base}/scalar`)).text(), '42');
  });

  it('prettifies, allows any origin and discourages caching when configured', async () => {
    const response = await fetch(`${base}/fancy`);
    assert.equal(response.headers.get('access-control-allow-origin'), '*');
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.equal(await response.text(), JSON.stringify(value, null, 2));
  });

  it('answers HEAD without a body and refuses POST with 405', async () => {
    const head = await fetch(`${base}/plain`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(Buffer.byteLength(JSON.stringify(value))));
    assert.equal(await head.text(), '');
    const post = await fetch(`${base}/plain`, { method: 'POST', body: '{}' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
  });

  it('serves only its exact path', async () => {
    assert.equal((await fetch(`${base}/plain/below`)).status, 404);
  });
});
