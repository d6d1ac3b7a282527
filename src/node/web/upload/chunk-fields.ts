import { extname } from 'node:path';
import { nestsDeeperThan, tooDeepMessage } from '../../../codec/nesting.js';
import type { UploadService } from '../../../config/model.js';
import type { Dict } from '../../../protocol/messages.js';
import { uriProblem, type UriRules } from '../../../protocol/uri.js';
import { quote } from '../http-bridge/refusal.js';

/** Why an upload request is refused: a stable code (metrics, clients) and what exactly was wrong. */
export class UploadRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** What one chunk's form fields say, checked. */
export interface ChunkFields {
  fileName: string;
  totalSize: number;
  totalChunks: number;
  chunkNumber: number;
  /** Where progress events go; absent: none are published. */
  progressTopic?: string;
  /** The one session that may receive them (Crossbar's `eligible`). */
  session?: number;
  chunkExtra: Dict;
  finishExtra: Dict;
}

/** Longest file name, in UTF-8 bytes (what common file systems allow). */
const maxFileNameBytes = 255;
const integerText = /^[0-9]{1,16}$/;

/**
 * A file name as the client sent it, if it is safe to use as one name in one folder: no path
 * separators, no "." or ".." and no hidden (dot) names, which the upload folders keep for their
 * own files, no control characters.
 */
export function checkFileName(name: string): string {
  const refuse = (why: string) => new UploadRefusal(400, 'invalid_file_name', `the file name ${quote(name)} ${why}`);
  if (name.length === 0) throw new UploadRefusal(400, 'invalid_file_name', 'the file name is empty');
  if (/[/\\]/.test(name)) throw refuse('contains a path separator ("/" or "\\")');
  if (name.startsWith('.')) throw refuse('starts with "." (".", ".." and hidden names are not accepted)');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) throw refuse('contains a control character');
  if (Buffer.byteLength(name) > maxFileNameBytes) throw refuse(`is longer than ${maxFileNameBytes} bytes`);
  return name;
}

/** The form field `name`; a missing one is refused. */
function required(fields: ReadonlyMap<string, string>, name: string): string {
  const value = fields.get(name);
  if (value === undefined) throw new UploadRefusal(400, 'missing_field', `the form has no "${name}" field`);
  return value;
}

/** A whole number of at least `min` written in decimal digits, or undefined. */
export function wholeNumber(text: string, min: number): number | undefined {
  const value = Number(text);
  return integerText.test(text) && value >= min && value <= Number.MAX_SAFE_INTEGER ? value : undefined;
}

function integer(fields: ReadonlyMap<string, string>, name: string, min: number): number {
  const text = required(fields, name);
  const value = wholeNumber(text, min);
  if (value === undefined) throw new UploadRefusal(400, 'invalid_field', `the "${name}" field must be an integer >= ${min}, not ${quote(text)}`);
  return value;
}

function jsonObject(fields: ReadonlyMap<string, string>, name: string | undefined, maxNestingDepth: number): Dict {
  const text = name === undefined ? undefined : fields.get(name);
  if (text === undefined || name === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UploadRefusal(400, 'invalid_field', `the "${name}" field must be a JSON object, and is not valid JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UploadRefusal(400, 'invalid_field', `the "${name}" field must be a JSON object`);
  }
  if (nestsDeeperThan(value, maxNestingDepth, text.length / 2)) throw new UploadRefusal(400, 'invalid_field', `the "${name}" field: ${tooDeepMessage(maxNestingDepth)}`);
  return value as Dict;
}

/**
 * The chunk's form fields, checked against the service's bounds before any of its bytes are
 * kept: file name, size (413), chunk count (413 past max_chunks), chunk number, type (415),
 * progress topic (a URI under the realm's rule) and session ID.
 */
export function readChunkFields(fields: ReadonlyMap<string, string>, service: UploadService, rules: UriRules, maxNestingDepth: number): ChunkFields {
  const names = service.formFields;
  const fileName = checkFileName(required(fields, names.fileName));
  const totalSize = integer(fields, names.totalSize, 0);
  if (totalSize > service.maxFileSize) {
    throw new UploadRefusal(413, 'file_too_large', `the file's ${totalSize} bytes are more than this path takes (max_file_size ${service.maxFileSize})`);
  }
  const totalChunks = integer(fields, names.totalChunks, 1);
  if (totalChunks > service.maxChunks) {
    throw new UploadRefusal(413, 'too_many_chunks', `${totalChunks} chunks are more than this path takes (max_chunks ${service.maxChunks}); send larger chunks`);
  }
  if (totalChunks > Math.max(1, totalSize)) {
    throw new UploadRefusal(400, 'invalid_field', `${totalChunks} chunks cannot make a file of ${totalSize} bytes`);
  }
  const chunkNumber = integer(fields, names.chunkNumber, 1);
  if (chunkNumber > totalChunks) {
    throw new UploadRefusal(400, 'invalid_field', `chunk ${chunkNumber} of ${totalChunks}: the "${names.chunkNumber}" field must be from 1 to "${names.totalChunks}"`);
  }
  integer(fields, names.chunkSize, 1);
  if (service.fileTypes !== undefined) {
    const extension = extname(fileName).toLowerCase();
    if (!service.fileTypes.some((type) => type.toLowerCase() === extension)) {
      throw new UploadRefusal(415, 'file_type_not_allowed', `files of type ${quote(extension || '(none)')} are not taken here; allowed: ${service.fileTypes.join(', ')}`);
    }
  }
  const chunk: ChunkFields = {
    fileName, totalSize, totalChunks, chunkNumber,
    chunkExtra: jsonObject(fields, names.chunkExtra, maxNestingDepth),
    finishExtra: jsonObject(fields, names.finishExtra, maxNestingDepth),
  };
  const topic = names.onProgress === undefined ? undefined : fields.get(names.onProgress);
  if (topic !== undefined && topic !== '') {
    const problem = uriProblem(topic, rules);
    if (problem) throw new UploadRefusal(400, 'invalid_uri', `the "${names.onProgress}" field: ${problem}`);
    chunk.progressTopic = topic;
  }
  const session = names.session === undefined ? undefined : fields.get(names.session);
  if (session !== undefined && session !== '') chunk.session = integer(fields, names.session!, 1);
  return chunk;
}
