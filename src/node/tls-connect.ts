import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { checkServerIdentity, type ConnectionOptions } from 'node:tls';
import type { ConnectingTls } from '../config/model.js';
import { UnsupportedConfigError } from './auth-wiring.js';

/**
 * Node's TLS options for a connection Junction opens (a proxy's backend, a router link): the
 * server's certificate is verified against `caCertificates` (else the system's authorities) and
 * must name `servername`. The files are read here, once, so a missing one stops the start; `where`
 * names the config key in that error.
 */
export function tlsConnectOptions(tls: ConnectingTls, where: string): ConnectionOptions {
  const read = (file: string) => {
    try {
      return readFileSync(file);
    } catch (error) {
      throw new UnsupportedConfigError(`${where}: cannot read ${file}: ${(error as Error).message}`);
    }
  };
  return {
    ...(tls.caCertificates === undefined ? {} : { ca: tls.caCertificates.map(read) }),
    ...(tls.certificate === undefined ? {} : { cert: read(tls.certificate) }),
    ...(tls.key === undefined ? {} : { key: read(tls.key) }),
    // SNI takes names only; the certificate is checked against the name or address either way.
    ...(isIP(tls.servername) === 0 ? { servername: tls.servername } : {}),
    checkServerIdentity: (_host, certificate) => checkServerIdentity(tls.servername, certificate),
  };
}
