import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { describe, it } from 'node:test';
import { parseSseRequest, SseRequestError } from './sse-request.js';

const limits = { maxTopics: 3, cookieName: 'junction_ticket' };
const parse = (url: string, headers: IncomingHttpHeaders = {}) => parseSseRequest(url, headers, limits);

function refusal(url: string, headers: IncomingHttpHeaders = {}): { status: number; code: string; message: string } {
  try {
    parse(url, headers);
  } catch (error) {
    assert.ok(error instanceof SseRequestError);
    return { status: error.status, code: error.code, message: error.message };
  }
  assert.fail(`${url} was accepted`);
}

describe('SSE request', () => {
  it('reads repeated topics, exact by default, without repeats', () => {
    assert.deepEqual(parse('/sse?topic=news&topic=sport&topic=news').topics, [
      { uri: 'news', match: 'exact' }, { uri: 'sport', match: 'exact' },
    ]);
  });

  it('applies match to every topic parameter, and takes prefix/wildcard parameters beside them', () => {
    assert.deepEqual(parse('/sse?topic=news.&topic=sport.&match=prefix').topics, [
      { uri: 'news.', match: 'prefix' }, { uri: 'sport.', match: 'prefix' },
    ]);
    assert.deepEqual(parseSseRequest('/sse?topic=news&prefix=sport.&wildcard=game..score&prefix=news', {}, { ...limits, maxTopics: 4 }).topics, [
      { uri: 'news', match: 'exact' }, { uri: 'sport.', match: 'prefix' }, { uri: 'game..score', match: 'wildcard' }, { uri: 'news', match: 'prefix' },
    ]);
  });

  it('decodes percent-escapes and ignores parameters starting with "_"', () => {
    assert.deepEqual(parse('/sse?topic=caf%C3%A9.menu&_=1712345').topics, [{ uri: 'café.menu', match: 'exact' }]);
  });

  it('refuses a request without topics, with too many, or with an empty one', () => {
    assert.equal(refusal('/sse').code, 'no_topic');
    assert.equal(refusal('/sse?match=prefix').code, 'no_topic');
    const tooMany = refusal('/sse?topic=a&topic=b&prefix=c&wildcard=d');
    assert.deepEqual([tooMany.status, tooMany.code], [400, 'too_many_topics']);
    assert.match(tooMany.message, /4 topics .* at most 3/);
    assert.equal(refusal('/sse?topic=').code, 'empty_topic');
  });

  it('names an unknown parameter, a bad match policy and a repeated single parameter', () => {
    const unknown = refusal('/sse?topics=news');
    assert.equal(unknown.code, 'unknown_parameter');
    assert.match(unknown.message, /"topics"/);
    assert.match(refusal('/sse?topic=a&match=regex').message, /match must be one of exact, prefix, wildcard, got "regex"/);
    assert.equal(refusal('/sse?topic=a&ticket=x&ticket=y').code, 'duplicate_parameter');
  });

  it('takes Last-Event-ID from the header first, then the lastEventId query (polyfills)', () => {
    assert.equal(parse('/sse?topic=a&lastEventId=5', { 'last-event-id': '7' }).lastEventId, '7');
    assert.equal(parse('/sse?topic=a&lastEventId=5').lastEventId, '5');
    assert.equal(parse('/sse?topic=a', { 'last-event-id': '' }).lastEventId, undefined);
  });

  it('signs in anonymously when no ticket is given', () => {
    assert.equal(parse('/sse?topic=a').credential, undefined);
    assert.equal(parse('/sse?topic=a', { authorization: 'Basic dXNlcjpwdw==' }).credential, undefined);
    assert.equal(refusal('/sse?topic=a&authid=joe').code, 'authid_without_ticket');
  });

  it('takes the ticket from the query, then a Bearer header, then the cookie', () => {
    const headers = { authorization: 'Bearer joe:from-header', cookie: 'other=1; junction_ticket=joe%3Afrom-cookie' };
    assert.deepEqual(parse('/sse?topic=a&ticket=from-query&authid=ann', headers).credential, { ticket: 'from-query', authid: 'ann', source: 'query' });
    assert.deepEqual(parse('/sse?topic=a', headers).credential, { ticket: 'from-header', authid: 'joe', source: 'bearer' });
    assert.deepEqual(parse('/sse?topic=a', { cookie: headers.cookie }).credential, { ticket: 'from-cookie', authid: 'joe', source: 'cookie' });
  });

  it('splits "<authid>:<ticket>" at the first colon unless the query names the authid', () => {
    assert.deepEqual(parse('/sse?topic=a&ticket=joe:se:cret').credential, { ticket: 'se:cret', authid: 'joe', source: 'query' });
    assert.deepEqual(parse('/sse?topic=a&authid=joe', { authorization: 'bearer a:b' }).credential, { ticket: 'a:b', authid: 'joe', source: 'bearer' });
    assert.deepEqual(parse('/sse?topic=a', { authorization: 'Bearer opaque-token' }).credential, { ticket: 'opaque-token', source: 'bearer' });
    assert.equal(refusal('/sse?topic=a&ticket=joe:').code, 'empty_ticket');
    assert.equal(refusal('/sse?topic=a&ticket=:x').code, 'empty_authid');
  });
});
