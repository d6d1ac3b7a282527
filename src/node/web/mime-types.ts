import type { OutgoingHttpHeaders } from 'node:http';
import { basename } from 'node:path';

/** The types a web app's files usually have, by lower-case extension. Text types get a charset below. */
const commonTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html',
  '.htm': 'text/html',
  '.css': 'text/css',
  '.js': 'text/javascript',
  '.jgz': 'text/javascript',
  '.mjs': 'text/javascript',
  '.cjs': 'text/javascript',
  '.map': 'application/json',
  '.json': 'application/json',
  '.jsonld': 'application/ld+json',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain',
  '.md': 'text/markdown',
  '.csv': 'text/csv',
  '.xml': 'application/xml',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.bmp': 'image/bmp',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.eot': 'application/vnd.ms-fontobject',
  '.wasm': 'application/wasm',
  '.pdf': 'application/pdf',
  '.zip': 'application/zip',
  '.gz': 'application/gzip',
  '.tar': 'application/x-tar',
  '.mp3': 'audio/mpeg',
  '.ogg': 'audio/ogg',
  '.oga': 'audio/ogg',
  '.wav': 'audio/wav',
  '.weba': 'audio/webm',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.ogv': 'video/ogg',
  '.vtt': 'text/vtt',
};

/** Served for an extension nobody named: browsers then download rather than guess. */
export const fallbackType = 'application/octet-stream';

/**
 * Content-Type for file names: the common web types, overridden and extended by a static or
 * archive service's `mimeTypes` (keys with their leading dot, any case; the longest suffix that
 * has an entry wins, so ".min.js" beats ".js"). Text types carry charset=utf-8 so that browsers
 * do not guess an encoding.
 */
export class MimeTypes {
  private readonly types = new Map<string, string>();

  constructor(extra: Readonly<Record<string, string>> = {}) {
    for (const [extension, type] of Object.entries(commonTypes)) this.types.set(extension, type);
    for (const [extension, type] of Object.entries(extra)) {
      const key = extension.startsWith('.') ? extension : `.${extension}`;
      this.types.set(key.toLowerCase(), type);
    }
  }

  /**
   * The headers that say what a served file is: its type (never sniffed) and, for a file kept
   * gzipped for the browser to inflate, `Content-Encoding: gzip` (sent whatever the request's
   * Accept-Encoding: there is no other form to send). Those files are `.jgz` (AutobahnJS ships
   * `autobahn.min.jgz`) and text kept as `.gz` (`style.css.gz` is CSS, as Crossbar's static
   * service sends it); any other `.gz` (`backup.tar.gz`) is sent as the gzip file it is, so a
   * download arrives as it was stored.
   */
  fileHeaders(fileName: string): OutgoingHttpHeaders {
    const name = basename(fileName).toLowerCase();
    const gzippedText = name.endsWith('.gz') ? this.typeOfName(name.slice(0, -'.gz'.length)) : undefined;
    if (gzippedText !== undefined && isText(gzippedText)) return fileHeaders(gzippedText, 'gzip');
    const type = this.typeOfName(name) ?? fallbackType;
    return fileHeaders(type, name.length > '.jgz'.length && name.endsWith('.jgz') ? 'gzip' : undefined);
  }

  contentType(fileName: string): string {
    return withCharset(this.typeOfName(basename(fileName).toLowerCase()) ?? fallbackType);
  }

  /** A leading dot starts a hidden name, not an extension (".htaccess" has none). */
  private typeOfName(name: string): string | undefined {
    for (let dot = name.indexOf('.', 1); dot !== -1; dot = name.indexOf('.', dot + 1)) {
      const type = this.types.get(name.slice(dot));
      if (type !== undefined) return type;
    }
    return undefined;
  }
}

function fileHeaders(type: string, encoding: string | undefined): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = { 'content-type': withCharset(type), 'x-content-type-options': 'nosniff' };
  if (encoding !== undefined) headers['content-encoding'] = encoding;
  return headers;
}

/** Text types carry charset=utf-8 (unless the configured type already says one). */
function withCharset(type: string): string {
  return isText(type) && !type.includes(';') ? `${type}; charset=utf-8` : type;
}

function isText(type: string): boolean {
  return type.startsWith('text/') || type === 'application/json' || type === 'application/xml'
    || type === 'image/svg+xml' || type.endsWith('+json');
}
