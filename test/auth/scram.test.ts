import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { scramPrincipal } from '../../src/auth/scram-password.js';
import type { RunningNode } from '../../src/node/node.js';
import { RawClient } from '../support/raw-client.js';
import { allowAll, authConfig, startAuthNode } from './support/node.js';
import { clientNonce, scramAnswer } from './support/scram-client.js';
import type { CaptureLog } from './support/capture-log.js';

/**
 * WAMP-SCRAM on the wire, as the spec writes the exchange (its AuthMessage, AUTHENTICATE.Extra
 * with nonce and null channel binding, WELCOME's verifier), over JSON and MessagePack. Autobahn|Python's
 * form is in test/interop/python/scram.test.ts.
 */

let node: RunningNode & { url: string; log: CaptureLog };
before(async () => {
  const { 'stored-key': storedKey, 'server-key': serverKey, ...rest } = await scramPrincipal('s3cret', { kdf: 'argon2id13', iterations: 2, memory: 64 });
  node = await startAuthNode(authConfig({ scram: { type: 'static', principals: { 'user,1': { ...rest, storedKey, serverKey, role: 'frontend' } } } }, [allowAll('frontend')]));
});
after(() => node.stop());

async function exchange(protocol: string, password: string, authid = 'user,1') {
  const client = await RawClient.open(node.url, [protocol]);
  try {
    const hello = { authid, clientNonce: clientNonce() };
    client.send([1, 'realm1', { roles: { caller: {} }, authmethods: ['scram'], authid, authextra: { nonce: hello.clientNonce, channel_binding: null } }]);
    const challenge = await client.next();
    assert.deepEqual([challenge[0], challenge[1]], [4, 'scram']);
    const extra = challenge[2] as Record<string, unknown>;
    const { proof, serverSignature } = await scramAnswer(password, hello, extra, 'spec');
    client.send([5, proof, { nonce: extra.nonce, channel_binding: null, cbind_data: null }]);
    return { reply: await client.next(), serverSignature };
  } finally {
    client.close();
  }
}

describe('WAMP-SCRAM as the spec writes it', () => {
  for (const protocol of ['wamp.2.json', 'wamp.2.msgpack']) {
    it(`welcomes the proof with the verifier over ${protocol}; the authid's "," is escaped in the AuthMessage`, async () => {
      const { reply, serverSignature } = await exchange(protocol, 's3cret');
      assert.equal(reply[0], 2, JSON.stringify(reply));
      const details = reply[2] as Record<string, unknown>;
      assert.deepEqual([details.authid, details.authrole, details.authmethod, details.authprovider], ['user,1', 'frontend', 'scram', 'static']);
      assert.deepEqual(details.authextra, { scram_server_signature: serverSignature, verifier: `v=${serverSignature}` });
    });
  }

  it('aborts a wrong password with authentication_failed and logs the reason', async () => {
    const { reply } = await exchange('wamp.2.json', 'guess');
    assert.deepEqual([reply[0], reply[2]], [3, 'wamp.error.authentication_failed']);
    const line = node.log.lines.find((entry) => entry.message === 'authentication failed' && entry.fields.authmethod === 'scram');
    assert.equal(line?.fields.why, 'the client proof does not verify (wrong password)');
  });
});
