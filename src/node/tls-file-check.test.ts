import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openssl, selfSignedCertificate, skipTls } from '../../test/support/tls.js';
import { tlsFileProblems, type TlsFiles } from './tls-file-check.js';

describe('the TLS files of a tls block', { skip: skipTls }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'junction-tls-files-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const own = selfSignedCertificate(mkdtempSync(join(dir, 'own-')))!;
  const other = selfSignedCertificate(mkdtempSync(join(dir, 'other-')))!;
  const file = (name: string, content: string | Buffer): string => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  const server = (key: string, certificate: string, more: Partial<TlsFiles> = {}): TlsFiles =>
    ({ key: { setting: 'endpoint.tls.key', file: key }, certificate: { setting: 'endpoint.tls.certificate', file: certificate }, certificates: [], ...more });
  const problems = (files: TlsFiles) => tlsFileProblems('transport "web"', files);

  it('finds nothing wrong with a key and the certificate made for it, authorities and DH parameters', () => {
    const dh = join(dir, 'dh.pem');
    openssl('dhparam', '-dsaparam', '-out', dh, '1024');
    assert.deepEqual(problems(server(own.key, own.certificate, {
      certificates: [{ setting: 'endpoint.tls.ca_certificates', file: other.certificate }],
      dhparam: { setting: 'endpoint.tls.dhparam', file: dh },
    })), []);
  });

  it('names each file that cannot be read, with its setting and why', () => {
    const missing = join(dir, 'missing.key');
    assert.deepEqual(problems(server(missing, dir)), [
      { kind: 'unreadable', message: `transport "web": cannot read its endpoint.tls.key ${missing}: no such file (a relative path is read from the config file's folder)` },
      { kind: 'unreadable', message: `transport "web": cannot read its endpoint.tls.certificate ${dir}: it is a folder (a relative path is read from the config file's folder)` },
    ]);
  });

  it('names a key that is no PEM key, or a certificate where the key should be', () => {
    const notPem = file('not-pem.key', 'not a key\n');
    assert.deepEqual(problems(server(notPem, own.certificate)).map(({ message }) => message), [`transport "web": its endpoint.tls.key ${notPem} is not a PEM private key (no "-----BEGIN" line)`]);
    assert.deepEqual(problems(server(own.certificate, own.certificate)).map(({ message }) => message),
      [`transport "web": its endpoint.tls.key ${own.certificate} is not a PEM private key (it holds a certificate)`]);
  });

  it('names a key protected by a passphrase (PKCS#8 and the traditional form), without quoting it', () => {
    const pkcs8 = join(dir, 'pkcs8.key');
    const traditional = join(dir, 'traditional.key');
    openssl('pkey', '-in', own.key, '-aes256', '-passout', 'pass:pw', '-out', pkcs8);
    openssl('rsa', '-in', own.key, '-aes128', '-passout', 'pass:pw', '-traditional', '-out', traditional);
    for (const key of [pkcs8, traditional]) {
      const found = problems(server(key, own.certificate));
      assert.equal(found.length, 1);
      assert.equal(found[0]!.kind, 'invalid');
      assert.match(found[0]!.message, new RegExp(`^transport "web": its endpoint\\.tls\\.key ${key.replace(/\./g, '\\.')} is protected by a passphrase, which Junction is not given: write the key without one \\(openssl pkey -in KEY -out NEW_KEY\\)`));
      for (const line of readFileSync(key, 'utf8').split('\n').filter((text) => text.length > 20)) assert.ok(!found[0]!.message.includes(line), 'the key is not quoted');
    }
  });

  it('names a key that is not the certificate\'s, naming both files', () => {
    assert.deepEqual(problems(server(other.key, own.certificate)).map(({ message }) => message), [
      `transport "web": its endpoint.tls.key ${other.key} is not the key of its endpoint.tls.certificate ${own.certificate} (give the key that certificate was made for)`,
    ]);
  });

  it('names a certificate or authority file that holds no PEM certificate: a key, DER, garbage, a block that does not parse', () => {
    const der = file('der.crt', new X509Certificate(readFileSync(own.certificate)).raw);
    const broken = file('broken.crt', `${readFileSync(own.certificate, 'utf8')}-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n`);
    const empty = file('empty.crt', '');
    const ca = (path: string) => ({ setting: 'endpoint.tls.ca_certificates', file: path });
    const found = problems(server(own.key, own.key, { certificates: [ca(der), ca(broken), ca(empty)] })).map(({ message }) => message);
    assert.deepEqual(found.slice(0, 2), [
      `transport "web": its endpoint.tls.certificate ${own.key} is not a PEM certificate (it holds a private key)`,
      `transport "web": its endpoint.tls.ca_certificates ${der} is not a PEM certificate (it looks like DER (binary): convert it to PEM with openssl)`,
    ]);
    assert.ok(found[2]!.startsWith(`transport "web": its endpoint.tls.ca_certificates ${broken} holds a certificate that cannot be parsed (the 2nd of 2: `), found[2]);
    assert.equal(found[3], `transport "web": its endpoint.tls.ca_certificates ${empty} is not a PEM certificate (it is empty)`);
    assert.equal(found.length, 4);
  });

  it('names DH parameters that are not PEM', () => {
    const dh = file('dh-garbage.pem', 'not parameters\n');
    assert.deepEqual(problems(server(own.key, own.certificate, { dhparam: { setting: 'endpoint.tls.dhparam', file: dh } })).map(({ message }) => message), [
      `transport "web": its endpoint.tls.dhparam ${dh} is not PEM Diffie-Hellman parameters (no "-----BEGIN" line; make them with: openssl dhparam -out FILE 2048)`,
    ]);
  });
});
