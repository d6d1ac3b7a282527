import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Socket, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { connect as connectTls, createServer as createTlsServer, TLSSocket, type PeerCertificate } from 'node:tls';
import { after, describe, it } from 'node:test';
import { debianNeed } from '../../test/support/debian.js';
import { selfSignedCertificate, skipTls } from '../../test/support/tls.js';
import { clientCertificateOf, crossbarFields, tlsUniqueChannelId, withTlsDetails } from './client-certificate.js';

const folder = mkdtempSync(join(tmpdir(), 'junction-client-certificate-'));
after(() => rmSync(folder, { recursive: true, force: true }));

const openssl = (...args: string[]): string => execFileSync(debianNeed('openssl').file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });

/** A certificate made by openssl with `serial`, read as a TLS socket's getPeerCertificate() gives it. */
function peerCertificate(serial: string): { peer: PeerCertificate; file: string } {
  const file = join(folder, `${serial}.crt`);
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(folder, `${serial}.key`), '-out', file,
    '-days', '1', '-subj', '/CN=device-7/O=Example', '-set_serial', serial);
  const x509 = new X509Certificate(readFileSync(file));
  const name = { CN: 'device-7', O: 'Example' };
  const peer = {
    raw: x509.raw, fingerprint: x509.fingerprint, fingerprint256: x509.fingerprint256, serialNumber: x509.serialNumber,
    valid_from: x509.validFrom, valid_to: x509.validTo, subject: name, issuer: name,
  } as unknown as PeerCertificate;
  return { peer, file };
}

/** What `openssl x509 -noout <option>` prints after "name=". */
const printed = (file: string, ...options: string[]): string => openssl('x509', '-in', file, '-noout', ...options).trim().replace(/^[^=]*=/, '');

describe("a client certificate in Crossbar's format (extract_peer_certificate)", { skip: skipTls }, () => {
  it('gives the serial as an integer (a BigInt beyond 2^53, digits beyond 64 bits), the dates as GeneralizedTime, digests as OpenSSL prints them, expired', () => {
    const wide = peerCertificate('0x0102030405060708090A0B0C0D0E0F10');
    const fields = crossbarFields(wide.peer, Date.now());
    assert.equal(fields.serial, '1339673755198158349044581307228491536', 'beyond 64 bits: its decimal digits');
    assert.equal(crossbarFields(peerCertificate('0xFFFFFFFFFFFFFFFF').peer, Date.now()).serial, 18446744073709551615n, 'within 64 bits: a BigInt');
    // openssl's ISO dates ("2026-12-07 02:47:39Z") are the same instants.
    for (const [key, option] of [['not_before', '-startdate'], ['not_after', '-enddate']] as const) {
      assert.match(fields[key], /^\d{14}Z$/);
      assert.equal(fields[key], printed(wide.file, '-dateopt', 'iso_8601', option).replace(/[- :]/g, ''));
    }
    assert.equal(fields.md5, printed(wide.file, '-fingerprint', '-md5'));
    assert.equal(fields.sha1, printed(wide.file, '-fingerprint', '-sha1'));
    assert.equal(fields.sha256, printed(wide.file, '-fingerprint', '-sha256'));
    assert.deepEqual(fields.subject, { cn: 'device-7', o: 'Example' });
    assert.equal(fields.expired, false);
    assert.equal(crossbarFields(wide.peer, Date.now() + 2 * 86_400_000).expired, true, 'two days on, past its one day');
    assert.equal(crossbarFields(peerCertificate('4660').peer, Date.now()).serial, 4660, 'a small serial is a plain number');
  });
});

/** The certificate side is exercised with real TLS clients in test/interop/wamp-tls-auth.test.ts. */
describe('client certificates in the transport details', () => {
  it('a plain socket, or a TLS socket without a peer certificate, has none, and the shared extra stays the same object', () => {
    const extra = Object.freeze({ path: '/ws' });
    const tls = new TLSSocket(new Socket());
    try {
      for (const socket of [new Socket(), tls, {}]) {
        assert.equal(clientCertificateOf(socket), undefined);
        assert.equal(withTlsDetails(extra, socket), extra);
      }
    } finally {
      tls.destroy();
    }
  });
});

describe('the tls-unique channel ID in the transport details', { skip: skipTls }, () => {
  it("is the SHA-256 of the client's Finished message, the ID an Autobahn client computes on its side", async () => {
    const files = selfSignedCertificate(mkdtempSync(join(tmpdir(), 'junction-channel-id-')))!;
    const server = createTlsServer({ key: readFileSync(files.key), cert: readFileSync(files.certificate) });
    const accepted = new Promise<TLSSocket>((resolve) => server.once('secureConnection', resolve));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = connectTls({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, ca: readFileSync(files.certificate), servername: 'localhost', rejectUnauthorized: false });
    try {
      await once(client, 'secureConnect');
      const serverSide = await accepted;
      const clientSide = createHash('sha256').update(client.getFinished()!).digest('hex');
      assert.equal(tlsUniqueChannelId(serverSide), clientSide);
      const extra = { path: '/ws' };
      assert.deepEqual(withTlsDetails(extra, serverSide), { path: '/ws', channel_id: { 'tls-unique': clientSide } });
      serverSide.destroy();
    } finally {
      client.destroy();
      server.close();
      rmSync(dirname(files.key), { recursive: true, force: true });
    }
  });
});
