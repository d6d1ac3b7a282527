import type * as z from 'zod';
import type { ConnectingTls } from './model.js';
import type { connectingTls } from './schema-connecting-tls.js';

/** A connecting endpoint's `tls` as the node uses it: the certificate's name (default: the host) and absolute file paths. */
export function connectingTlsConfig(file: z.output<typeof connectingTls>, host: string, fromConfigDir: (path: string) => string): ConnectingTls {
  return {
    servername: file.hostname ?? host,
    ...(file.ca_certificates === undefined ? {} : { caCertificates: file.ca_certificates.map(fromConfigDir) }),
    ...(file.certificate === undefined ? {} : { certificate: fromConfigDir(file.certificate) }),
    ...(file.key === undefined ? {} : { key: fromConfigDir(file.key) }),
  };
}
