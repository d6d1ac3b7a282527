import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { checkGithubSignature } from './github-signature.js';
import { Refusal } from './refusal.js';
import { headerLists } from './webhook.js';

const body = Buffer.from('{"zen": "Design for failure."}');
const header = `sha256=${createHmac('sha256', 'It\'s a Secret to Everybody').update(body).digest('hex')}`;

function code(headers: Record<string, string>, text = body): string | undefined {
  try {
    checkGithubSignature('It\'s a Secret to Everybody', headers, text);
    return undefined;
  } catch (error) {
    assert.ok(error instanceof Refusal);
    return `${error.status} ${error.code}`;
  }
}

describe('checkGithubSignature', () => {
  it('accepts GitHub\'s X-Hub-Signature-256 of the raw body', () => {
    assert.equal(code({ 'x-hub-signature-256': header }), undefined);
  });

  it('refuses a missing, malformed or wrong signature with 401', () => {
    assert.equal(code({}), '401 signature_missing');
    assert.equal(code({ 'x-hub-signature-256': 'sha1=abc' }), '401 signature_malformed');
    assert.equal(code({ 'x-hub-signature-256': header }, Buffer.from('{"zen": "Design for success."}')), '401 signature_mismatch');
  });
});

describe('headerLists', () => {
  it('groups repeated headers into lists under the names Crossbar uses', () => {
    assert.deepEqual(headerLists(['content-type', 'text/plain', 'X-GitHub-Event', 'ping', 'x-custom', 'a', 'X-Custom', 'b']), {
      'Content-Type': ['text/plain'],
      'X-Github-Event': ['ping'],
      'X-Custom': ['a', 'b'],
    });
  });
});
