import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalHeaderName, decodeBody, restResult } from './rest-result.js';

describe('restResult', () => {
  it('has Crossbar\'s shape: code, content as text, headers as name -> list', () => {
    const result = restResult({
      status: 201,
      headers: { 'content-type': 'application/json', 'set-cookie': ['a=1', 'b=2'], etag: '"x"', connection: 'keep-alive', 'keep-alive': 'timeout=5' },
      body: Buffer.from('{"id":7}'),
    });
    assert.deepEqual(result, {
      code: 201,
      content: '{"id":7}',
      headers: { 'Content-Type': ['application/json'], 'Set-Cookie': ['a=1', 'b=2'], ETag: ['"x"'] },
    });
  });

  it('capitalizes header names as Crossbar\'s HTTP client does', () => {
    assert.deepEqual(['x-request-id', 'www-authenticate', 'content-md5', 'te', 'date'].map(canonicalHeaderName), ['X-Request-Id', 'WWW-Authenticate', 'Content-MD5', 'TE', 'Date']);
  });

  it('decodes the body with the Content-Type charset, UTF-8 otherwise', () => {
    assert.equal(decodeBody(Buffer.from([0x63, 0x61, 0x66, 0xe9]), 'text/plain; charset=ISO-8859-1'), 'café');
    assert.equal(decodeBody(Buffer.from('café'), 'text/plain'), 'café');
    assert.equal(decodeBody(Buffer.from('café'), 'text/plain; charset="no-such-charset"'), 'café');
  });
});
