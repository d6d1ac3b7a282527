import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { checkServerIdentity, type ConnectionOptions } from 'node:tls';
import type { ConnectingTls } from '../config/model.js';
import { checkConnectingTlsFiles } from './startup-errors.js';

/**
 * Node's TLS options for a connection Junction opens (a proxy's backend, a router link): the
 * server's certificate is verified against `caCertificates` (else the system's authorities) and
 * must name `servername`. The files are checked and read here, once, so a file that is missing or
 * is not what its setting needs stops the start or the reload that adds it, named as `junction
 * start` names it: `owner` (`realm "r" rlink "l"`) and `prefix`, the config key of the endpoint
 * ("transport.endpoint").
 */
export function tlsConnectOptions(tls: ConnectingTls, owner: string, prefix: string): ConnectionOptions {
  checkConnectingTlsFiles(owner, tls, prefix);
  return {
    ...(tls.caCertificates === undefined ? {} : { ca: tls.caCertificates.map((file) => readFileSync(file)) }),
    ...(tls.certificate === undefined ? {} : { cert: readFileSync(tls.certificate) }),
    ...(tls.key === undefined ? {} : { key: readFileSync(tls.key) }),
    // SNI takes names only; the certificate is checked against the name or address either way.
    ...(isIP(tls.servername) === 0 ? { servername: tls.servername } : {}),
    checkServerIdentity: (_host, certificate) => checkServerIdentity(tls.servername, certificate),
  };
}
