import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BadCgiHeaders, CgiHeadReader, parseCgiHead } from './cgi-response.js';

describe('a CGI script\'s header block', () => {
  it('a document: 200 with its headers, names in lower case, repeated ones kept in order', () => {
    assert.deepEqual(parseCgiHead('Content-Type: text/html\r\nSet-Cookie: a=1\nSet-Cookie: b=2\r\nX-Empty:'), {
      status: 200, reason: undefined, headers: { 'content-type': 'text/html', 'set-cookie': ['a=1', 'b=2'], 'x-empty': '' },
    });
  });

  it('Status sets the status and its reason, and is not passed on', () => {
    assert.deepEqual(parseCgiHead('Status: 404 Not Found\nContent-Type: text/plain'), { status: 404, reason: 'Not Found', headers: { 'content-type': 'text/plain' } });
    assert.deepEqual(parseCgiHead('status: 201'), { status: 201, reason: undefined, headers: {} });
  });

  it('Location without a Status is a 302 (a URL or a local path, as Twisted); with one, that Status', () => {
    assert.equal(parseCgiHead('Location: https://example.com/').status, 302);
    assert.equal(parseCgiHead('Location: /other').status, 302);
    assert.equal(parseCgiHead('Location: /other\nStatus: 301 Moved').status, 301);
  });

  it('headers of Junction\'s own connection are dropped', () => {
    assert.deepEqual(parseCgiHead('Content-Type: a/b\nConnection: close\nTransfer-Encoding: chunked\nKeep-Alive: 5').headers, { 'content-type': 'a/b' });
  });

  it('refuses each malformed line, naming it', () => {
    const cases: [string, string][] = [
      ['', 'the script wrote no headers (a CGI answer starts with a header such as "Content-Type: text/html" and an empty line)'],
      ['Content-Type: text/html\nnot a header', 'header line 2 is not "Name: value": "not a header"'],
      ['Bad Name: x', 'header line 1 is not "Name: value": "Bad Name: x"'],
      [': x', 'header line 1 is not "Name: value": ": x"'],
      ['X-A: a\x01b', 'header line 1 (X-A) has a control character in its value'],
      ['Status: 99 Odd', 'header line 1: Status must be a code from 200 to 599 and an optional reason, like "404 Not Found", not "99 Odd"'],
      ['Status: 100 Continue', 'header line 1: Status must be a code from 200 to 599 and an optional reason, like "404 Not Found", not "100 Continue"'],
      ['Status: OK', 'header line 1: Status must be a code from 200 to 599 and an optional reason, like "404 Not Found", not "OK"'],
      ['Content-Length: 3x', 'header line 1: Content-Length must be given once, as a number of bytes, not "3x"'],
      ['Content-Length: -1', 'header line 1: Content-Length must be given once, as a number of bytes, not "-1"'],
      ['Content-Length: 3\nContent-Length: 3', 'header line 2: Content-Length must be given once, as a number of bytes, not "3"'],
    ];
    for (const [block, message] of cases) assert.throws(() => parseCgiHead(block), new BadCgiHeaders(message), JSON.stringify(block));
  });
});

describe('CgiHeadReader: stdout up to the empty line', () => {
  it('the head may arrive a byte at a time; the body bytes that came with it are handed back', () => {
    const reader = new CgiHeadReader(1024);
    const bytes = Buffer.from('Content-Type: text/plain\r\n\r\nbody starts');
    for (let at = 0; at < bytes.length - 12; at++) assert.equal(reader.push(bytes.subarray(at, at + 1)), undefined, `byte ${at}`);
    const read = reader.push(bytes.subarray(bytes.length - 12));
    assert.deepEqual(read?.head.headers, { 'content-type': 'text/plain' });
    assert.equal(read?.body.toString(), 'body starts');
  });

  it('LF line ends, and a first empty line (no headers at all) is refused', () => {
    assert.equal(new CgiHeadReader(1024).push(Buffer.from('Status: 204\n\n'))?.head.status, 204);
    assert.throws(() => new CgiHeadReader(1024).push(Buffer.from('\r\nbody')), /the script wrote no headers/);
  });

  it('refuses a head longer than its limit, ended or not', () => {
    assert.throws(() => new CgiHeadReader(16).push(Buffer.from('X-Long: 12345678901234567890')), /more than 16 bytes without ending its headers/);
    assert.throws(() => new CgiHeadReader(16).push(Buffer.from('X-Long: 12345678901234567890\n\n')), /headers are longer than 16 bytes/);
    assert.equal(new CgiHeadReader(16).push(Buffer.from('X-Short: 1234567\n\nand a long body after it'))?.body.toString(), 'and a long body after it');
  });
});
