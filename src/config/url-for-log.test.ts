import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { urlForLog } from './mask-secrets.js';

describe('urlForLog', () => {
  it('masks the user name, the password and every query value, keeping scheme, host, path and query names', () => {
    assert.equal(urlForLog('https://user:pw@api.example.com:8443/v1/items?api_key=SECRET&page=2#top'),
      'https://*****@api.example.com:8443/v1/items?api_key=*****&page=*****');
    assert.equal(urlForLog(new URL('http://token@127.0.0.1/hook')), 'http://*****@127.0.0.1/hook');
    assert.equal(urlForLog('http://a@b:p@w@host/x'), 'http://*****@host/x', 'up to the last "@" of the authority');
  });

  it('leaves a URL without credentials or query as it is written', () => {
    assert.equal(urlForLog('http://127.0.0.1:5000/api/'), 'http://127.0.0.1:5000/api/');
    assert.equal(urlForLog('http://app'), 'http://app');
    assert.equal(urlForLog('http://h/a@b'), 'http://h/a@b', 'an "@" in the path is no userinfo');
    assert.equal(urlForLog(new URL('http://127.0.0.1:5000/api/?')), 'http://127.0.0.1:5000/api/');
  });

  it('masks a query piece without a name whole, and skips empty pieces', () => {
    assert.equal(urlForLog('http://h/p?s3cret&&a='), 'http://h/p?*****&a=*****');
  });

  it('masks the query of a relative url (a caller\'s) and drops its fragment', () => {
    assert.equal(urlForLog('users/42?token=SECRET&x#frag'), 'users/42?token=*****&*****');
    assert.equal(urlForLog('users/42'), 'users/42');
  });
});
