import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuthRequest } from '../router/hooks.js';
import { FakeCaller } from '../../test/auth/support/fake-caller.js';
import { DynamicAuthenticator } from './dynamic.js';
import { dynamicTls, staticTls, type ClientCertificate } from './tls.js';

const fingerprint = 'B6:E5:E6:F2:2A:86:DB:3C:DC:9F:51:42:58:39:9B:14:92:5D:A1:EB';

function certificate(cn: string | undefined, more: Partial<ClientCertificate> = {}): ClientCertificate {
  return {
    authorized: true, sha1: fingerprint, sha256: 'AA', subject: cn === undefined ? {} : { cn }, issuer: { cn: 'devices ca' },
    serial: '01', not_before: 'Jan 1 00:00:00 2026 GMT', not_after: 'Jan 2 00:00:00 2026 GMT', ...more,
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

  it('fails without a certificate, with an untrusted one, or one that names no principal', async () => {
    const reasons = [];
    for (const cert of [undefined, certificate('sensor-1', { sha1: '00', authorized: false, authorization_error: 'SELF_SIGNED_CERT_IN_CHAIN' }),
      certificate('sensor-9', { sha1: '00' }), certificate(undefined, { sha1: '00' }), certificate('constructor', { sha1: '00' })]) {
      const outcome = await method.begin(request(cert));
      assert.equal(outcome.kind, 'fail');
      reasons.push(outcome.kind === 'fail' ? outcome.why : '');
    }
    assert.match(reasons[0]!, /no TLS client certificate/);
    assert.match(reasons[1]!, /not trusted: SELF_SIGNED_CERT_IN_CHAIN/);
    assert.match(reasons[2]!, /no principal for the client certificate \(CN "sensor-9"/);
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
    assert.equal((call!.args[2] as { transport: { extra: { client_cert: ClientCertificate } } }).transport.extra.client_cert.sha1, fingerprint);
  });

  it('never asks about an untrusted certificate', async () => {
    const caller = new FakeCaller(() => 'device');
    const method = dynamicTls(new DynamicAuthenticator({ procedure: 'p' }, 'tls', caller));
    assert.equal((await method.begin(request(certificate('x', { authorized: false })))).kind, 'fail');
    assert.equal(caller.calls.length, 0);
  });
});
