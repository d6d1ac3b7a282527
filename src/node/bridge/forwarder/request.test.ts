import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { bodySignature, forwardBody, forwardHeaders } from './request.js';

describe('forwardBody', () => {
  it('is Crossbar\'s {"args", "kwargs"} as compact JSON, both keys always present', () => {
    assert.equal(forwardBody(['a', 1], { b: true }), '{"args":["a",1],"kwargs":{"b":true}}');
    assert.equal(forwardBody([], {}), '{"args":[],"kwargs":{}}');
  });

  it('writes binary values in WAMP\'s JSON convention (NUL + base64)', () => {
    const body = forwardBody([Buffer.from([1, 2, 3]), { nested: new Uint8Array([255]) }], {});
    assert.deepEqual(JSON.parse(body), { args: ['\u0000AQID', { nested: '\u0000/w==' }], kwargs: {} });
  });

  it('writes integers beyond 2^53 (from CBOR or MessagePack publishers) as their exact digits', () => {
    assert.equal(forwardBody([1558266424841951553n], { big: 2n ** 128n - 1n }),
      '{"args":[1558266424841951553],"kwargs":{"big":340282366920938463463374607431768211455}}');
  });
});

describe('forwardHeaders', () => {
  const facts = { topic: 'breaking-news.politics', publication: 123456789, attempt: 2 };

  it('carries content type, topic, publication and attempt, after the configured headers', () => {
    assert.deepEqual(forwardHeaders({ Authorization: 'Bearer x' }, facts, '{}', undefined), {
      authorization: 'Bearer x',
      'content-type': 'application/json',
      'x-junction-topic': 'breaking-news.politics',
      'x-junction-publication': '123456789',
      'x-junction-delivery-attempt': '2',
    });
  });

  it('signs the exact body with HMAC-SHA256 when a secret is set', () => {
    const body = forwardBody(['é'], {});
    const headers = forwardHeaders({}, facts, body, 's3cret');
    assert.equal(headers['x-junction-signature'], `sha256=${createHmac('sha256', 's3cret').update(Buffer.from(body, 'utf8')).digest('hex')}`);
    assert.equal(bodySignature('s3cret', body), headers['x-junction-signature']);
    assert.notEqual(bodySignature('s3cret', body + ' '), headers['x-junction-signature']);
  });

  it('does not let configured headers replace Junction\'s, whatever their case', () => {
    const headers = forwardHeaders({ 'X-Junction-Signature': 'forged', 'Content-Type': 'text/plain', 'X-JUNCTION-TOPIC': 'x' }, facts, '{}', 'k');
    assert.equal(headers['x-junction-signature'], bodySignature('k', '{}'));
    assert.equal(headers['content-type'], 'application/json');
    assert.equal(headers['x-junction-topic'], 'breaking-news.politics');
    assert.equal(Object.keys(headers).filter((name) => name.toLowerCase() === 'content-type').length, 1);
  });

  it('percent-encodes a topic a header could not carry as is', () => {
    assert.equal(forwardHeaders({}, { ...facts, topic: 'nachrichten.über' }, '{}', undefined)['x-junction-topic'], 'nachrichten.%C3%BCber');
  });
});
