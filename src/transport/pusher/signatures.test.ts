import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { apiSigningText, authProblem, channelAuthText, signinText } from './signatures.js';

const sign = (secret: string, text: string) => createHmac('sha256', secret).update(text).digest('hex');

describe('pusher signatures', () => {
  it('verifies "key:signature" over socket_id:channel[:channel_data] and names what does not match', () => {
    const text = channelAuthText('123.456', 'private-a');
    assert.equal(text, '123.456:private-a');
    assert.equal(channelAuthText('1.2', 'presence-r', '{"user_id":1}'), '1.2:presence-r:{"user_id":1}');
    assert.equal(signinText('1.2', '{"id":"7"}'), '1.2::user::{"id":"7"}');
    assert.equal(authProblem(`key:${sign('secret', text)}`, 'key', 'secret', text), undefined);
    assert.match(authProblem(`key:${sign('other', text)}`, 'key', 'secret', text)!, /does not match "123.456:private-a"/);
    assert.match(authProblem(`other:${sign('secret', text)}`, 'key', 'secret', text)!, /names the key "other"/);
    assert.match(authProblem(undefined, 'key', 'secret', text)!, /no "auth"/);
    assert.match(authProblem('nocolon', 'key', 'secret', text)!, /key:signature/);
  });

  it('signs API requests over method, path and the sorted query without auth_signature', () => {
    const params = new URLSearchParams('body_md5=abc&auth_version=1.0&auth_key=k&auth_timestamp=10&auth_signature=zzz&Info=user_count');
    assert.equal(apiSigningText('post', '/apps/1/events', params), 'POST\n/apps/1/events\nauth_key=k&auth_timestamp=10&auth_version=1.0&body_md5=abc&info=user_count');
  });
});
