import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cacheControl, notModified, requestedRange, validatorsOf } from './http-caching.js';

const mtimeMs = Date.parse('2024-03-01T12:00:00.250Z');
const validators = validatorsOf(1000, mtimeMs);

describe('validatorsOf', () => {
  it('makes a strong ETag from mtime and size, and an HTTP date in whole seconds', () => {
    assert.match(validators.etag, /^"[0-9a-f]+-3e8"$/);
    assert.equal(validators.lastModified, 'Fri, 01 Mar 2024 12:00:00 GMT');
    assert.notEqual(validatorsOf(1001, mtimeMs).etag, validators.etag);
    assert.notEqual(validatorsOf(1000, mtimeMs + 1).etag, validators.etag);
  });
});

describe('notModified', () => {
  it('matches If-None-Match against the ETag, weakly, in a list, or "*"', () => {
    assert.equal(notModified({ 'if-none-match': validators.etag }, validators), true);
    assert.equal(notModified({ 'if-none-match': `W/${validators.etag}` }, validators), true);
    assert.equal(notModified({ 'if-none-match': `"other", ${validators.etag}` }, validators), true);
    assert.equal(notModified({ 'if-none-match': '*' }, validators), true);
    assert.equal(notModified({ 'if-none-match': '"other"' }, validators), false);
  });

  it('compares If-Modified-Since in whole seconds', () => {
    assert.equal(notModified({ 'if-modified-since': validators.lastModified }, validators), true);
    assert.equal(notModified({ 'if-modified-since': 'Sat, 02 Mar 2024 00:00:00 GMT' }, validators), true);
    assert.equal(notModified({ 'if-modified-since': 'Fri, 01 Mar 2024 11:59:59 GMT' }, validators), false);
    assert.equal(notModified({ 'if-modified-since': 'not a date' }, validators), false);
    assert.equal(notModified({}, validators), false);
  });

  it('lets If-None-Match decide when both are sent', () => {
    assert.equal(notModified({ 'if-none-match': '"other"', 'if-modified-since': validators.lastModified }, validators), false);
  });
});

describe('requestedRange', () => {
  const range = (header: string, extra: Record<string, string> = {}) => requestedRange({ range: header, ...extra }, 1000, validators);

  it('reads one range in its three forms, clamped to the file', () => {
    assert.deepEqual(range('bytes=0-9'), { start: 0, end: 9 });
    assert.deepEqual(range('bytes=990-'), { start: 990, end: 999 });
    assert.deepEqual(range('bytes=-10'), { start: 990, end: 999 });
    assert.deepEqual(range('bytes=-5000'), { start: 0, end: 999 });
    assert.deepEqual(range('bytes=500-5000'), { start: 500, end: 999 });
  });

  it('serves the whole file for no range, several ranges, other units or reversed bounds', () => {
    assert.equal(requestedRange({}, 1000, validators), undefined);
    assert.equal(range('bytes=0-1,5-6'), undefined);
    assert.equal(range('items=0-1'), undefined);
    assert.equal(range('bytes=9-2'), undefined);
    assert.equal(range('bytes=-'), undefined);
  });

  it('answers unsatisfiable past the end', () => {
    assert.equal(range('bytes=1000-'), 'unsatisfiable');
    assert.equal(range('bytes=-0'), 'unsatisfiable');
    assert.equal(requestedRange({ range: 'bytes=0-' }, 0, validatorsOf(0, mtimeMs)), 'unsatisfiable');
  });

  it('honours If-Range only for this exact version', () => {
    assert.deepEqual(range('bytes=0-9', { 'if-range': validators.etag }), { start: 0, end: 9 });
    assert.deepEqual(range('bytes=0-9', { 'if-range': validators.lastModified }), { start: 0, end: 9 });
    assert.equal(range('bytes=0-9', { 'if-range': '"older"' }), undefined);
    assert.equal(range('bytes=0-9', { 'if-range': `W/${validators.etag}` }), undefined); // weak tags never qualify
    assert.equal(range('bytes=0-9', { 'if-range': 'Thu, 29 Feb 2024 00:00:00 GMT' }), undefined);
  });
});

describe('cacheControl', () => {
  it('gives a max-age, or no-cache for 0', () => {
    assert.equal(cacheControl(43200), 'public, max-age=43200');
    assert.equal(cacheControl(0), 'no-cache');
  });
});
