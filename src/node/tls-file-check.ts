/**
 * What is wrong with the files of a `tls` block, one line each, naming the owner (a transport, a
 * path, a router link), the setting, the file and the fault, and never quoting a file's content:
 * a file that cannot be read, a certificate or authority file that holds no PEM certificate (Node
 * silently ignores such an authority file), a key that is no PEM key or is protected by a
 * passphrase (Junction is given none), a key that is not the certificate's, DH parameters that are
 * not PEM (Node silently ignores those too). startup-errors.ts makes them `junction start`'s and
 * `junction check`'s errors.
 */

import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** A file and the config key that names it, as the owner's config reads ("endpoint.tls.key"). */
export interface NamedFile {
  setting: string;
  file: string;
}

/** A block's files by their role. */
export interface TlsFiles {
  key?: NamedFile;
  certificate?: NamedFile;
  /** Further certificates: chains and authorities. */
  certificates: NamedFile[];
  dhparam?: NamedFile;
}

export interface TlsFileProblem {
  /** unreadable: the file cannot be read; invalid: it is read but is not what its setting needs. */
  kind: 'unreadable' | 'invalid';
  message: string;
}

const unreadable: Record<string, string> = { ENOENT: 'no such file', EACCES: 'permission denied', EISDIR: 'it is a folder' };

const pemBlock = (label: string) => new RegExp(`-----BEGIN ${label}-----[\\s\\S]*?-----END ${label}-----`, 'g');
const certificateBlock = pemBlock('CERTIFICATE');
const privateKeyLine = /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/;
const encryptedKey = /-----BEGIN ENCRYPTED PRIVATE KEY-----|^Proc-Type: *4, *ENCRYPTED/m;
/** PKCS#3 parameters, or X9.42 ones (openssl dhparam -dsaparam). */
const dhBlock = /-----BEGIN ((?:X9\.42 )?DH PARAMETERS)-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END \1-----/;

/** What a file that is not the PEM expected holds instead, as far as can be told without quoting it. */
function insteadOf(text: string, bytes: Buffer): string {
  if (privateKeyLine.test(text)) return 'it holds a private key';
  if (text.includes('-----BEGIN CERTIFICATE-----')) return 'it holds a certificate';
  if (bytes[0] === 0x30) return 'it looks like DER (binary): convert it to PEM with openssl';
  return bytes.length === 0 ? 'it is empty' : 'no "-----BEGIN" line';
}

/** The certificates of a file, or why it holds none that parse. */
function certificatesOf(bytes: Buffer): X509Certificate[] | string {
  const text = bytes.toString('latin1');
  const blocks = text.match(certificateBlock);
  if (blocks === null) return `is not a PEM certificate (${insteadOf(text, bytes)})`;
  const parsed: X509Certificate[] = [];
  for (const [index, block] of blocks.entries()) {
    try {
      parsed.push(new X509Certificate(block));
    } catch (error) {
      return `holds a certificate that cannot be parsed (the ${ordinal(index + 1)} of ${blocks.length}: ${(error as Error).message})`;
    }
  }
  return parsed;
}

function keyOf(bytes: Buffer): KeyObject | string {
  const text = bytes.toString('latin1');
  if (encryptedKey.test(text)) return 'is protected by a passphrase, which Junction is not given: write the key without one (openssl pkey -in KEY -out NEW_KEY) and keep that file readable only by the node\'s user';
  if (!privateKeyLine.test(text)) return `is not a PEM private key (${insteadOf(text, bytes)})`;
  try {
    return createPrivateKey(bytes);
  } catch (error) {
    return `is not a usable PEM private key (${(error as Error).message})`;
  }
}

function dhparamFault(bytes: Buffer): string | undefined {
  const text = bytes.toString('latin1');
  const body = dhBlock.exec(text)?.[2];
  if (body === undefined) return `is not PEM Diffie-Hellman parameters (${insteadOf(text, bytes)}; make them with: openssl dhparam -out FILE 2048)`;
  return Buffer.from(body, 'base64')[0] === 0x30 ? undefined : 'holds DH parameters that cannot be parsed (not DER inside the PEM block)';
}

const ordinal = (n: number): string => `${n}${n % 10 === 1 && n % 100 !== 11 ? 'st' : n % 10 === 2 && n % 100 !== 12 ? 'nd' : n % 10 === 3 && n % 100 !== 13 ? 'rd' : 'th'}`;

/** Every problem of `files`, one line each starting with `owner` (`transport "web"`); none when they are usable. */
export function tlsFileProblems(owner: string, files: TlsFiles): TlsFileProblem[] {
  const problems: TlsFileProblem[] = [];
  const fault = ({ setting, file }: NamedFile, what: string): void => void problems.push({ kind: 'invalid', message: `${owner}: its ${setting} ${file} ${what}` });
  const read = (named: NamedFile): Buffer | undefined => {
    try {
      return readFileSync(named.file);
    } catch (error) {
      const { code } = error as NodeJS.ErrnoException;
      problems.push({
        kind: 'unreadable',
        message: `${owner}: cannot read its ${named.setting} ${named.file}: ${unreadable[code ?? ''] ?? code ?? String(error)} (a relative path is read from the config file's folder)`,
      });
      return undefined;
    }
  };
  const certificates = (named: NamedFile): X509Certificate[] | undefined => {
    const bytes = read(named);
    if (bytes === undefined) return undefined;
    const parsed = certificatesOf(bytes);
    if (typeof parsed === 'string') return void fault(named, parsed);
    return parsed;
  };

  const key = files.key && read(files.key);
  const privateKey = key === undefined ? undefined : keyOf(key);
  if (typeof privateKey === 'string') fault(files.key!, privateKey);
  const [leaf] = (files.certificate && certificates(files.certificate)) ?? [];
  for (const named of files.certificates) certificates(named);
  if (files.dhparam) {
    const bytes = read(files.dhparam);
    const dhFault = bytes && dhparamFault(bytes);
    if (dhFault !== undefined) fault(files.dhparam, dhFault);
  }
  if (leaf !== undefined && typeof privateKey === 'object' && !leaf.checkPrivateKey(privateKey)) {
    fault(files.key!, `is not the key of its ${files.certificate!.setting} ${files.certificate!.file} (give the key that certificate was made for)`);
  }
  return problems;
}
