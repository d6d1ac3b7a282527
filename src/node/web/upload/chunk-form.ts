import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import busboy from 'busboy';
import { UploadRefusal } from './chunk-fields.js';

/** Bounds of a chunk's form past its content: a text field's bytes, and the number of text fields and parts. */
export const chunkFormLimits = { fieldBytes: 64 * 1024, fields: 32, parts: 40 } as const;

/** A chunk upload's form as it arrives: its text fields once its content part begins, then that part's bytes. */
export interface ChunkForm {
  /** Resolves when the content part begins, with the text fields sent before it; rejects with an UploadRefusal. */
  content: Promise<{ fields: Map<string, string>; bytes: Readable }>;
  /** Resolves when the whole form has been read. */
  done: Promise<void>;
  /** Stops reading the form (the chunk was refused): the rest of the request is the caller's to discard. */
  abandon(error: Error): void;
}

/** The client left before its form was read. */
export class FormAborted extends Error {
  constructor() {
    super('the client closed the connection before the form was read');
  }
}

/**
 * Parses a multipart/form-data chunk upload (with busboy). The fields a chunk is checked by must
 * come before its content part, as resumable.js, browsers' FormData and the usual HTTP libraries
 * send them: the chunk is then refused before any of its bytes are kept.
 */
export function readChunkForm(request: IncomingMessage, contentField: string, maxChunkSize: number): ChunkForm {
  let parser: busboy.Busboy;
  try {
    // busboy also reads url-encoded forms, which cannot carry a file part.
    if (!/^multipart\/form-data\s*;/i.test(request.headers['content-type'] ?? '')) throw new Error(`not ${JSON.stringify(request.headers['content-type'] ?? '(none)')}`);
    parser = busboy({
      headers: request.headers,
      limits: { fieldSize: chunkFormLimits.fieldBytes, fields: chunkFormLimits.fields, parts: chunkFormLimits.parts, files: 1, fileSize: maxChunkSize + 1 },
    });
  } catch (error) {
    const refusal = new UploadRefusal(415, 'unsupported_content_type', `a chunk is sent as multipart/form-data: ${(error as Error).message}`);
    const failed = Promise.reject(refusal);
    failed.catch(() => undefined);
    return { content: failed, done: failed, abandon: () => undefined };
  }
  const fields = new Map<string, string>();
  let started = false;
  let bytesOfContent: Readable | undefined;
  let settleContent!: { resolve: (value: { fields: Map<string, string>; bytes: Readable }) => void; reject: (error: Error) => void };
  let settleDone!: { resolve: () => void; reject: (error: Error) => void };
  const content = new Promise<{ fields: Map<string, string>; bytes: Readable }>((resolve, reject) => (settleContent = { resolve, reject }));
  const done = new Promise<void>((resolve, reject) => (settleDone = { resolve, reject }));
  // Either may go unawaited when the other failed first.
  content.catch(() => undefined);
  done.catch(() => undefined);
  const fail = (error: Error): void => {
    settleContent.reject(error);
    settleDone.reject(error);
    request.unpipe(parser);
    parser.destroy();
    // A content part being stored must fail too, or its pipeline would wait for bytes that never come.
    bytesOfContent?.destroy(error);
  };

  parser.on('field', (name, value, info) => {
    if (info.nameTruncated || info.valueTruncated) {
      return fail(new UploadRefusal(413, 'field_too_large', `the form field ${JSON.stringify(name.slice(0, 100))} is longer than ${chunkFormLimits.fieldBytes} bytes`));
    }
    if (!fields.has(name)) fields.set(name, value);
  });
  parser.on('file', (name, bytes) => {
    // A part's failures reach the request through the pipeline that stores it, or through `fail`;
    // the parser may still report a cut-off form on a part nobody reads any more.
    bytes.on('error', () => undefined);
    if (name !== contentField) {
      bytes.resume();
      return fail(new UploadRefusal(400, 'unexpected_file', `the form part ${JSON.stringify(name.slice(0, 100))} is a file; a chunk's bytes go in "${contentField}"`));
    }
    started = true;
    bytesOfContent = bytes;
    // A copy: the parser may read the fields after the content in this same turn, before the chunk is checked.
    settleContent.resolve({ fields: new Map(fields), bytes });
  });
  parser.on('fieldsLimit', () => fail(new UploadRefusal(413, 'form_too_large', `the form has more than ${chunkFormLimits.fields} text fields`)));
  parser.on('partsLimit', () => fail(new UploadRefusal(413, 'form_too_large', `the form has more than ${chunkFormLimits.parts} parts`)));
  parser.on('error', (error: Error) => fail(new UploadRefusal(400, 'invalid_form', `the multipart form could not be read: ${error.message}`)));
  parser.on('close', () => {
    if (!started) return fail(new UploadRefusal(400, 'missing_field', `the form has no "${contentField}" part with the chunk's bytes`));
    settleDone.resolve();
  });
  request.on('close', () => {
    if (!request.complete) fail(new FormAborted());
  });
  request.pipe(parser);
  return { content, done, abandon: fail };
}
