/**
 * Crossbar's `upload` path service (old name `fileupload`): chunked file uploads in the
 * resumable.js protocol, with progress events published in a realm as a role. Crossbar's keys as
 * its config check has them; the bounds in `options` past Crossbar's three are Junction's.
 */

import * as z from 'zod';
import { byteCount, ignored, milliseconds, missingMessage, nonEmptyString, pathServiceId, positiveInt, realmName, roleName } from './schema-parts.js';

/** The bounds of an upload path when its `options` do not give them. */
export const uploadDefaults = {
  /** Crossbar's default max_file_size: 10 MiB. */
  maxFileSize: 10 * 1024 * 1024,
  maxChunkSize: 32 * 1024 * 1024,
  maxChunks: 10_000,
  maxUploads: 100,
  maxTempBytes: 1024 * 1024 * 1024,
  uploadTimeoutMs: 600_000,
  maxRequestsInFlight: 100,
} as const;

/** Largest file an upload path may be configured to take (and so the most temporary bytes it may hold). */
export const maxUploadBytesLimit = 1024 ** 4;

const formField = (what: string) => nonEmptyString.describe(`Name of the form field holding ${what}.`);
const requiredFormField = (key: string, what: string) =>
  z.string({ error: missingMessage(`"${key}", the name of the form field holding ${what}`) }).min(1, { error: 'must not be empty' })
    .describe(`Name of the form field holding ${what} (required).`);

const formFields = z.strictObject(
  {
    file_name: requiredFormField('file_name', 'the file name'),
    mime_type: requiredFormField('mime_type', 'the MIME type'),
    total_size: requiredFormField('total_size', 'the file size in bytes'),
    chunk_number: requiredFormField('chunk_number', 'the chunk number (from 1)'),
    chunk_size: requiredFormField('chunk_size', 'the chunk size'),
    total_chunks: requiredFormField('total_chunks', 'the number of chunks'),
    content: requiredFormField('content', "the chunk's bytes (the file part)"),
    on_progress: formField('the topic progress events are published to (none: no events)').optional(),
    session: formField('the WAMP session ID that alone receives the progress events').optional(),
    chunk_extra: formField('a JSON object added to every progress event').optional(),
    finish_extra: formField('a JSON object added to the "finished" event').optional(),
    // Crossbar's own example config names it; Crossbar's code never read it (the file name is the upload's ID).
    file_id: ignored('the form field of a file ID (form_fields.file_id; the file name identifies an upload)'),
  },
  { error: missingMessage('"form_fields", the names of the form fields the client sends (resumable.js: "resumableFilename"...)') },
);

const fileTypes = z
  .array(z.string().regex(/^\.[^./\\\s]+$/, { error: 'a file type is an extension with its dot, like ".csv"' }))
  .optional()
  .describe('Extensions a file may have, with their dot (".csv"); default: any.');

const uploadOptions = z
  .strictObject({
    debug: ignored('Crossbar debug logging (debug; use --log-level)'),
    max_file_size: byteCount(maxUploadBytesLimit)
      .default(uploadDefaults.maxFileSize)
      .describe(`Largest file in bytes; a larger total_size is refused with 413 (default ${uploadDefaults.maxFileSize}, as Crossbar).`),
    file_types: fileTypes,
    file_permissions: z
      .string()
      .regex(/^0?[0-7]{3}$/, { error: 'expected octal permissions like "0644"' })
      .optional()
      .describe('Permissions of a finished file, octal like "0644"; default: the process umask\'s.'),
    max_chunk_size: byteCount(1024 ** 3)
      .default(uploadDefaults.maxChunkSize)
      .describe(`Junction extension: largest chunk in bytes; a larger one is refused with 413 (default ${uploadDefaults.maxChunkSize}).`),
    max_chunks: positiveInt
      .max(1_000_000, { error: 'expected at most 1000000 chunks' })
      .default(uploadDefaults.maxChunks)
      .describe(`Junction extension: most chunks one file may have (default ${uploadDefaults.maxChunks}).`),
    max_uploads: positiveInt
      .max(100_000, { error: 'expected at most 100000 uploads' })
      .default(uploadDefaults.maxUploads)
      .describe(`Junction extension: files being uploaded at once; a new one past this is refused with 429 (default ${uploadDefaults.maxUploads}).`),
    max_temp_bytes: byteCount(maxUploadBytesLimit)
      .default(uploadDefaults.maxTempBytes)
      .describe(`Junction extension: bytes of unfinished uploads kept in temp_directory; a chunk that would pass it is refused with 429 (default ${uploadDefaults.maxTempBytes}).`),
    upload_timeout: milliseconds
      .min(1_000, { error: 'expected at least 1000 ms' })
      .max(7 * 86_400_000, { error: 'expected at most 604800000 ms (a week)' })
      .default(uploadDefaults.uploadTimeoutMs)
      .describe(`Junction extension: an unfinished upload with no chunk for this many ms is removed (default ${uploadDefaults.uploadTimeoutMs}).`),
    max_requests_in_flight: positiveInt
      .max(100_000, { error: 'expected at most 100000 requests' })
      .default(uploadDefaults.maxRequestsInFlight)
      .describe(`Junction extension: requests handled at once; more are answered 503 (default ${uploadDefaults.maxRequestsInFlight}).`),
  })
  .superRefine((options, ctx) => {
    // A file larger than the temporary space could never be assembled.
    if (options.max_file_size > options.max_temp_bytes) {
      ctx.addIssue({ code: 'custom', path: ['max_file_size'], message: `max_file_size (${options.max_file_size}) must not be more than max_temp_bytes (${options.max_temp_bytes})` });
    }
  })
  .prefault({});

const uploadShape = {
  id: pathServiceId,
  realm: realmName.describe('Realm progress events are published in (required).'),
  role: roleName.describe('Role that publishes them; its permissions apply (required).'),
  directory: z.string({ error: missingMessage('"directory", the folder finished files are moved to') }).min(1, { error: 'must not be empty' })
    .describe('Folder finished files are moved to (relative paths: from the config file folder). Required; must exist.'),
  temp_directory: nonEmptyString
    .optional()
    .describe('Folder for unfinished uploads, one subfolder each; default: "upload-temp/<transport>/<path>" in the node\'s data folder.'),
  form_fields: formFields,
  options: uploadOptions,
};

export const uploadService = z
  .strictObject({ type: z.literal('upload'), ...uploadShape })
  .describe('Chunked file uploads (the resumable.js protocol) into a folder, with progress events.');

export const fileUploadService = z
  .strictObject({ type: z.literal('fileupload'), ...uploadShape })
  .describe('Old name of "upload".');

export type UploadServiceFile = z.output<typeof uploadService> | z.output<typeof fileUploadService>;
