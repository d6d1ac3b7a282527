/**
 * Crossbar's `archive` path service: the files of a ZIP archive (a built web app shipped as one
 * file), optionally downloaded from `origin` when the node starts. Keys as Crossbar's
 * `RouterWebServiceArchive.check` has them (`webservice/archive.py`).
 */

import * as z from 'zod';
import { ignored, missingMessage, pathServiceId } from './schema-parts.js';

/** A name inside the archive: relative, "/"-separated, never climbing out. */
const insideName = (what: string) =>
  z
    .string()
    .min(1, { error: 'must not be empty' })
    .refine((name) => !name.startsWith('/') && !name.includes('\\') && !name.split('/').includes('..'), {
      error: `${what} inside the archive: relative, with "/" between folders, without ".."`,
    });

export const archiveService = z
  .strictObject({
    type: z.literal('archive'),
    id: pathServiceId,
    archive: z
      .string({ error: missingMessage('"archive", the ZIP file to serve (like "app-ui.zip")') })
      .min(1, { error: 'must not be empty' })
      .describe('The ZIP file to serve; relative paths: from the config file folder (required).'),
    origin: z
      .url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL to download the archive from' })
      .optional()
      .describe('Where the archive is downloaded from when the file does not exist and "download" is true.'),
    download: z.boolean().default(false).describe('Download the archive from "origin" at start when the file does not exist (default false, as Crossbar).'),
    cache: ignored('caching files in memory (cache; Junction streams them from the archive)'),
    hashes: z
      .array(z.string().regex(/^[0-9A-Fa-f]{64}$/, { error: 'expected a SHA-256 fingerprint: 64 hex digits' }))
      .optional()
      .describe('SHA-256 fingerprints (hex) the archive file must match one of; checked at every start, before any file is served.'),
    default_object: insideName('a file name')
      .optional()
      .describe('File served for the path itself and for a folder ("index.html"); none by default, as Crossbar.'),
    object_prefix: insideName('a folder')
      .transform((prefix) => prefix.replace(/\/+$/, ''))
      .optional()
      .describe('Folder inside the archive that this path serves ("app-ui-1.2.0").'),
    mime_types: z
      .record(
        z.string().regex(/^\.[^/\\\s]+$/, { error: 'a MIME type key is a file extension with its dot, like ".wasm" or ".min.js"' }),
        z.string().regex(/^[\w.+-]+\/[\w.+-]+(\s*;.*)?$/, { error: 'expected a MIME type like "application/wasm"' }),
      )
      .default({})
      .describe('Extra file extension -> MIME type entries, e.g. {".wasm": "application/wasm"}.'),
    options: z
      .strictObject({
        default_file: insideName('a file name')
          .optional()
          .describe('File served instead of a 404 for a name the archive does not have (a single-page app\'s "index.html").'),
      })
      .prefault({}),
  })
  .superRefine((service, ctx) => {
    if (service.download && service.origin === undefined) {
      ctx.addIssue({ code: 'custom', message: 'missing: "origin", the URL "download" fetches the archive from', path: ['origin'], params: { code: 'config.missing' } });
    }
  })
  .describe('The files of a ZIP archive, on this path and below it.');

export type ArchiveServiceFile = z.output<typeof archiveService>;
