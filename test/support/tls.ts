/**
 * A self-signed certificate for 127.0.0.1 and localhost, made with openssl (a Debian package
 * .ci/run installs), for the suites' TLS endpoints. Without openssl the TLS parts skip, with the
 * reason in `skipTls` (under CI=true they fail instead: see debian.ts).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { debianNeed, skipWithoutDebian } from './debian.js';

export const skipTls = skipWithoutDebian('openssl');

/** Runs openssl with `args` (quietly); throws if it fails. */
export function openssl(...args: string[]): void {
  execFileSync(debianNeed('openssl').file, args, { stdio: 'ignore' });
}

/** Writes server.key and server.crt (valid one day) into `dir`; undefined when openssl is missing. */
export function selfSignedCertificate(dir: string): { key: string; certificate: string } | undefined {
  if (skipTls) return undefined;
  const key = join(dir, 'server.key');
  const certificate = join(dir, 'server.crt');
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', certificate,
    '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost');
  return { key, certificate };
}
