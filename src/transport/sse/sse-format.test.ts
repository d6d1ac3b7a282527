import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventData, eventMessage, formatComment, formatMessage, formatNotice, formatRetry } from './sse-format.js';

describe('SSE format', () => {
  it('writes a message as id, event and data lines ended by a blank line', () => {
    assert.equal(formatMessage({ id: '42:AbCd_-12.a', event: 'news.world', data: '{"args":[1],"kwargs":{}}' }),
      'id: 42:AbCd_-12.a\nevent: news.world\ndata: {"args":[1],"kwargs":{}}\n\n');
  });

  it('makes a live event\'s message once per EVENT object and topic, as UTF-8 bytes', () => {
    const event = { publication: 7, args: ['é'], details: {} };
    let ids = 0;
    const id = (made: { publication: number }): string => `${made.publication}:x${++ids}`;
    const bytes = eventMessage(event, 'news', id);
    assert.equal(bytes.toString('utf8'), 'id: 7:x1\nevent: news\ndata: {"args":["é"],"kwargs":{}}\n\n');
    assert.equal(eventMessage(event, 'news', id), bytes);
    assert.equal(ids, 1);
    assert.equal(eventMessage(event, 'news.world', id).toString('utf8'), 'id: 7:x2\nevent: news.world\ndata: {"args":["é"],"kwargs":{}}\n\n');
  });

  it('writes a notice as a named event without an id, so Last-Event-ID stays where it was', () => {
    assert.equal(formatNotice('junction.resume_gap', { reason: 'a\nb' }), 'event: junction.resume_gap\ndata: {"reason":"a\\nb"}\n\n');
  });

  it('refuses a field value with a line break (it would end the field)', () => {
    assert.throws(() => formatMessage({ id: '1', event: 'a\nb', data: '{}' }), /line break/);
    assert.throws(() => formatMessage({ id: '1', event: 'a', data: '{\r}' }), /line break/);
  });

  it('writes comments one line each, and the retry advice as whole milliseconds', () => {
    assert.equal(formatComment('keepalive'), ': keepalive\n\n');
    assert.equal(formatComment('two\nlines'), ': two\n: lines\n\n');
    assert.equal(formatRetry(2500.7), 'retry: 2500\n\n');
  });

  it('carries args and kwargs, always both, on one line even when strings hold line breaks', () => {
    assert.equal(eventData({ details: {} }), '{"args":[],"kwargs":{}}');
    const data = eventData({ args: ['line 1\nline 2\r\n'], kwargs: { a: { b: [true, null] } }, details: {} });
    assert.doesNotMatch(data, /[\r\n]/);
    assert.deepEqual(JSON.parse(data), { args: ['line 1\nline 2\r\n'], kwargs: { a: { b: [true, null] } } });
  });

  it('writes bytes with the JSON binary convention (NUL + base64)', () => {
    const data = JSON.parse(eventData({ args: [new Uint8Array([1, 2, 255])], details: {} })) as { args: string[] };
    assert.equal(data.args[0], '\u0000AQL/');
  });

  it('carries a passthru payload with its scheme instead of args and kwargs', () => {
    const data = JSON.parse(eventData({ payload: new Uint8Array([9]), details: { ppt_scheme: 'x_custom', ppt_serializer: 'cbor', other: 1 } }));
    assert.deepEqual(data, { payload: '\u0000CQ==', ppt_scheme: 'x_custom', ppt_serializer: 'cbor' });
  });
});
