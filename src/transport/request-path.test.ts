import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requestPath } from './request-path.js';

test('requestPath keeps the path as sent and drops the whole query, named or bare', () => {
  assert.equal(requestPath('/ws?token=s3cret&x=1'), '/ws');
  assert.equal(requestPath('/ws?s3cret'), '/ws');
  assert.equal(requestPath('/a//b/?token=s3cret#frag'), '/a//b/');
  assert.equal(requestPath('/ws#s3cret'), '/ws');
  assert.equal(requestPath('/ws'), '/ws');
  assert.equal(requestPath('/%7Euser?'), '/%7Euser');
  assert.equal(requestPath(undefined), '/');
});
