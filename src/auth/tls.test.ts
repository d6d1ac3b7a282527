import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuthRequest } from '../router/hooks.js';
import { FakeCaller } from '../../test/auth/support/fake-caller.js';
import { DynamicAuthenticator } from './dynamic.js';
import { dynamicTls, staticTls, type ClientCertificate } from './tls.js';

const fingerprint = 'B6:E5:E6:F2:2A:86:DB:3C:DC:9F:51:42:58:39:9B:14:92:5D:A1:EB';

function certificate(cn: string | undefined, more: Partial<ClientCertificate> = {}): ClientCertificate {
  return {
    authorized: true, md5: 'CC', sha1: fingerprint, sha256: 'AA', expired: false, subject: cn === undefined ? {} : { cn }, issuer: { cn: 'devices ca' },
    serial: 1, not_before: '20260101000000Z', not_after: '20260102000000Z', ...more,
  };
}

/** A sign-in from an MQTT connection that presented `cert` (or none). */
function request(cert: ClientCertificate | undefined): AuthRequest {
  return {
    realm: 'realm1', details: { authmethods: ['tls'] }, sessionId: 7,
    transport: { type: 'mqtt', serializer: 'none', peer: 'tcp4:127.0.0.1:5000', extra: cert === undefined ? {} : { client_cert: cert } },
  };
}

const welcome = (authid: string, authrole: string, authprovider: string) =>
  ({ kind: 'welcome', identity: { authid, authrole, authmethod: 'tls', authprovider } });

describe('tls (static)', () => {
  const method = staticTls({ 'sensor-1': { role: 'device' }, boiler: { role: 'heating', certificateSha1: fingerprint.toLowerCase().replaceAll(':', '') } });

  it('a pinned fingerprint names its principal, however the fingerprint was written', async () => {
    assert.deepEqual(await method.begin(request(certificate('anything'))), welcome('boiler', 'heating', 'static'));
  });

  it('a trusted certificate signs in as the principal its subject CN names', async () => {
    assert.deepEqual(await method.begin(request(certificate('sensor-1', { sha1: '00:11' }))), welcome('sensor-1', 'device', 'static'));
  });

  it('refuses without a certificate, with an untrusted one, or one that names no principal: not_authorized, saying which', async () => {
    const refusals = [];
    for (const cert of [undefined, certificate('sensor-1', { sha1: '00', authorized: false, authorization_error: 'SELF_SIGNED_CERT_IN_CHAIN' }),
      certificate('sensor-9', { sha1: '00' }), certificate(undefined, { sha1: '00' }), certificate('constructor', { sha1: '00' })]) {
      const outcome = await method.begin(request(cert));
      assert.equal(outcome.kind, 'fail');
      if (outcome.kind !== 'fail') continue;
      assert.equal(outcome.refusal?.reason, 'wamp.error.not_authorized');
      assert.equal(outcome.refusal?.message, outcome.why, 'the client hears the reason the log gets');
      refusals.push(outcome.why);
    }
    assert.equal(refusals.length, 5);
    assert.match(refusals[0]!, /did not send a TLS client certificate/);
    assert.match(refusals[1]!, /not trusted: SELF_SIGNED_CERT_IN_CHAIN/);
    assert.match(refusals[2]!, /no principal for the client certificate \(CN "sensor-9", SHA-1 00\)/);
  });

  it('a pinned principal is not also reachable by its name as CN', async () => {
    assert.equal((await method.begin(request(certificate('boiler', { sha1: '00' })))).kind, 'fail');
  });
});

describe('tls (dynamic)', () => {
  it('asks the authenticator with the CN as authid and the certificate in the transport details', async () => {
    const caller = new FakeCaller(() => 'device');
    const method = dynamicTls(new DynamicAuthenticator({ procedure: 'com.example.authenticate' }, 'tls', caller));
    assert.deepEqual(await method.begin(request(certificate('sensor-2'))), welcome('sensor-2', 'device', 'dynamic'));
    const [call] = caller.calls;
    assert.deepEqual(call!.args.slice(0, 2), ['realm1', 'sensor-2']);
    const transport = (call!.args[2] as { transport: Record<string, any> }).transport;
    // Where Crossbar's authenticators read it (peer_cert today, client_cert in earlier versions and its examples), and where the session shows it.
    for (const place of [transport.peer_cert, transport.client_cert, transport.extra.client_cert]) assert.equal(place.sha1, fingerprint);
    assert.equal(transport.type, 'mqtt');
  });

  it('never asks about an untrusted certificate', async () => {
    const caller = new FakeCaller(() => 'device');
    const method = dynamicTls(new DynamicAuthenticator({ procedure: 'p' }, 'tls', caller));
    const outcome = await method.begin(request(certificate('x', { authorized: false, authorization_error: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' })));
    assert.equal(outcome.kind === 'fail' && outcome.refusal?.message, 'the client certificate (CN "x") is not trusted: UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    assert.equal(caller.calls.length, 0);
  });
});
