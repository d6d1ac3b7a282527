import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidCallError, readHeaders, readRestCall, requestHeaders } from './rest-call.js';

const invalid = (message: RegExp) => (error: unknown) => error instanceof InvalidCallError && message.test(error.message);

describe('readRestCall', () => {
  it('reads Crossbar\'s keyword arguments', () => {
    const call = readRestCall([], { method: 'post', url: 'items', body: 'raw text', headers: { 'X-Trace': ['a', 'b'], Accept: 'text/plain' }, params: { n: 1, ok: true, tag: ['p', 'q'] } });
    assert.deepEqual(call, {
      method: 'POST', url: 'items', body: 'raw text', jsonBody: false,
      headers: { 'x-trace': ['a', 'b'], accept: ['text/plain'] },
      params: { n: ['1'], ok: ['true'], tag: ['p', 'q'] },
    });
  });

  it('reads positional arguments in Crossbar\'s order (method, url, body, headers, params)', () => {
    const call = readRestCall(['GET', 'a', '', { h: 'v' }, { p: 'q' }], {});
    assert.deepEqual(call, { method: 'GET', url: 'a', headers: { h: ['v'] }, params: { p: ['q'] }, jsonBody: false });
  });

  it('serializes a JSON body; null and "" mean no body', () => {
    assert.deepEqual([readRestCall([], { method: 'PUT', body: { a: [1] } }).body, readRestCall([], { method: 'PUT', body: { a: [1] } }).jsonBody], ['{"a":[1]}', true]);
    assert.equal(readRestCall([], { method: 'PUT', body: [] }).body, '[]');
    assert.equal(readRestCall([], { method: 'PUT', body: null }).body, undefined);
    assert.equal(readRestCall([], { method: 'PUT', body: '' }).body, undefined);
  });

  it('refuses what it cannot send, saying why', () => {
    assert.throws(() => readRestCall([], {}), invalid(/"method" is required/));
    assert.throws(() => readRestCall([], { method: 'TRACE' }), invalid(/method "TRACE" is not allowed: use one of GET, POST/));
    assert.throws(() => readRestCall([], { method: 'CONNECT' }), invalid(/not allowed/));
    assert.throws(() => readRestCall([], { method: 'GET', url: 5 }), invalid(/"url" must be a string/));
    assert.throws(() => readRestCall([], { method: 'GET', headers: ['x'] }), invalid(/headers must be a dict/));
    assert.throws(() => readRestCall([], { method: 'GET', headers: { 'bad name': 'x' } }), invalid(/"bad name" is not a valid header name/));
    assert.throws(() => readRestCall([], { method: 'GET', headers: { x: 'a\r\nInjected: 1' } }), invalid(/line break/));
    assert.throws(() => readRestCall([], { method: 'GET', headers: { x: { y: 1 } } }), invalid(/must be a string/));
    assert.throws(() => readRestCall([], { method: 'GET', params: { p: { q: 1 } } }), invalid(/params: the value of "p"/));
    assert.throws(() => readRestCall([], { method: 'GET', parms: {} }), invalid(/unknown keyword argument "parms"/));
    assert.throws(() => readRestCall([1, 2, 3, 4, 5, 6], {}), invalid(/at most 5 positional arguments/));
  });

  it('bounds header and parameter counts', () => {
    const many = Object.fromEntries(Array.from({ length: 101 }, (_, index) => [`h${index}`, 'v']));
    assert.throws(() => readRestCall([], { method: 'GET', headers: many }), invalid(/more than 100/));
    assert.throws(() => readRestCall([], { method: 'GET', headers: { big: 'x'.repeat(20_000) } }), invalid(/larger than 16384 bytes/));
    assert.throws(() => readRestCall([], { method: 'GET', params: { p: Array.from({ length: 1001 }, () => 'v') } }), invalid(/more than 1000 values/));
  });
});

describe('requestHeaders', () => {
  const configured = readHeaders({ Authorization: 'Bearer s3cret', 'X-App': 'junction' }, 'headers');

  it('puts the caller\'s headers over the configured ones, whatever their case', () => {
    const call = readRestCall([], { method: 'GET', headers: { 'x-app': 'mine', Accept: 'application/json' } });
    assert.deepEqual(requestHeaders(configured, call), { authorization: ['Bearer s3cret'], 'x-app': ['mine'], accept: ['application/json'] });
  });

  it('drops hop-by-hop headers, Host, Content-Length and what Connection names', () => {
    const call = readRestCall([], {
      method: 'POST', body: 'x',
      headers: { Host: 'evil.test', 'Content-Length': '99', Connection: 'close, X-Secret-Hop', 'X-Secret-Hop': '1', 'Transfer-Encoding': 'chunked', Upgrade: 'websocket', TE: 'trailers', 'Keep-Alive': '1', Expect: '100-continue', 'X-Kept': 'yes' },
    });
    assert.deepEqual(requestHeaders({}, call), { 'x-kept': ['yes'] });
  });

  it('labels a JSON body unless the caller chose a content type', () => {
    assert.deepEqual(requestHeaders({}, readRestCall([], { method: 'POST', body: { a: 1 } }))['content-type'], ['application/json']);
    assert.deepEqual(requestHeaders({}, readRestCall([], { method: 'POST', body: { a: 1 }, headers: { 'Content-Type': 'application/vnd.x+json' } }))['content-type'], ['application/vnd.x+json']);
    assert.equal(requestHeaders({}, readRestCall([], { method: 'POST', body: 'text' }))['content-type'], undefined);
  });
});
