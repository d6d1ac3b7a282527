import assert from 'node:assert/strict';
import { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { describe, it } from 'node:test';
import { clientCertificateOf, withClientCertificate } from './client-certificate.js';

/** The certificate side is exercised with real TLS clients in test/interop/wamp-tls-auth.test.ts. */
describe('client certificates in the transport details', () => {
  it('a plain socket, or a TLS socket without a peer certificate, has none, and the shared extra stays the same object', () => {
    const extra = Object.freeze({ path: '/ws' });
    const tls = new TLSSocket(new Socket());
    try {
      for (const socket of [new Socket(), tls, {}]) {
        assert.equal(clientCertificateOf(socket), undefined);
        assert.equal(withClientCertificate(extra, socket), extra);
      }
    } finally {
      tls.destroy();
    }
  });
});
