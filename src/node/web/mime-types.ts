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

/**
 * Files kept compressed on disk for the browser to inflate: `autobahn.min.jgz`, the gzipped
 * AutobahnJS build. Sent with this Content-Encoding (whatever the request's Accept-Encoding:
 * there is no other form to send), so a `<script src="...jgz">` runs. Crossbar means the same
 * (its archive service lists `.jgz` as gzip) but sends the bytes without the header, which no
 * browser can run. ".gz" is not here: a ".tar.gz" download must arrive as the archive it is.
 */
const storedEncodings: ReadonlyMap<string, string> = new Map([['.jgz', 'gzip']]);

/** The Content-Encoding a file is stored in, if it is one the browser must undo (see storedEncodings). */
function storedEncoding(fileName: string): string | undefined {
  const name = basename(fileName).toLowerCase();
  const dot = name.lastIndexOf('.');
  return dot > 0 ? storedEncodings.get(name.slice(dot)) : undefined;
}

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

  /** The headers that say what a served file is: its type (never sniffed) and a stored encoding. */
  fileHeaders(fileName: string): OutgoingHttpHeaders {
    const headers: OutgoingHttpHeaders = { 'content-type': this.contentType(fileName), 'x-content-type-options': 'nosniff' };
    const encoding = storedEncoding(fileName);
    if (encoding !== undefined) headers['content-encoding'] = encoding;
    return headers;
  }

  contentType(fileName: string): string {
    const type = this.typeOfName(basename(fileName).toLowerCase()) ?? fallbackType;
    return needsCharset(type) ? `${type}; charset=utf-8` : type;
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

function needsCharset(type: string): boolean {
  if (type.includes(';')) return false; // the configured type already says it
  return type.startsWith('text/') || type === 'application/json' || type === 'application/xml'
    || type === 'image/svg+xml' || type.endsWith('+json');
}
