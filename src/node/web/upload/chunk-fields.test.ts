import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UploadService } from '../../../config/model.js';
import { checkFileName, readChunkFields, UploadRefusal } from './chunk-fields.js';

const service: UploadService = {
  type: 'upload', realm: 'realm1', role: 'uploader', directory: '/srv/up',
  formFields: {
    fileName: 'name', mimeType: 'type', totalSize: 'size', chunkNumber: 'n', chunkSize: 'csize', totalChunks: 'count', content: 'file',
    onProgress: 'on_progress', session: 'session', chunkExtra: 'ce', finishExtra: 'fe',
  },
  maxFileSize: 1000, fileTypes: ['.csv', '.TXT'], maxChunkSize: 100, maxChunks: 20, maxUploads: 5, maxTempBytes: 10_000, uploadTimeoutMs: 1000, maxRequestsInFlight: 5,
};
const good = { name: 'data.csv', type: 'text/csv', size: '300', n: '2', csize: '100', count: '3' };
const read = (fields: Record<string, string>) => readChunkFields(new Map(Object.entries(fields)), service, { strict: true }, 10);

function refusedWith(status: number, code: string, run: () => unknown): void {
  assert.throws(run, (error: unknown) => error instanceof UploadRefusal && error.status === status && error.code === code);
}

describe('upload chunk fields', () => {
  it('reads a chunk with its topic, session and extras', () => {
    assert.deepEqual(read({ ...good, on_progress: 'app.upload.progress', session: '77', ce: '{"a":1}', fe: '{"b":[2]}' }), {
      fileName: 'data.csv', totalSize: 300, totalChunks: 3, chunkNumber: 2,
      progressTopic: 'app.upload.progress', session: 77, chunkExtra: { a: 1 }, finishExtra: { b: [2] },
    });
    assert.deepEqual(read(good), { fileName: 'data.csv', totalSize: 300, totalChunks: 3, chunkNumber: 2, chunkExtra: {}, finishExtra: {} });
  });

  it('refuses file names that leave the folder, hide, or carry control characters', () => {
    for (const name of ['../etc/passwd', 'a/b.csv', 'a\\b.csv', '..', '.', '.hidden.csv', '', 'a\u0000.csv', 'tab\t.csv', `${'x'.repeat(252)}é.csv`]) {
      refusedWith(400, 'invalid_file_name', () => checkFileName(name));
    }
    assert.equal(checkFileName('report 2024 (final).csv'), 'report 2024 (final).csv');
    assert.equal(checkFileName('données..csv'), 'données..csv');
  });

  it('refuses a file too large (413), too many chunks (413) and a type not listed (415); types match without regard to case', () => {
    refusedWith(413, 'file_too_large', () => read({ ...good, size: '1001' }));
    refusedWith(413, 'too_many_chunks', () => read({ ...good, count: '21' }));
    refusedWith(415, 'file_type_not_allowed', () => read({ ...good, name: 'run.sh' }));
    refusedWith(415, 'file_type_not_allowed', () => read({ ...good, name: 'csv' }));
    assert.equal(read({ ...good, name: 'NOTES.txt' }).fileName, 'NOTES.txt');
  });

  it('refuses missing and malformed numbers, a chunk outside the file, and more chunks than bytes', () => {
    const { size: _size, ...noSize } = good;
    refusedWith(400, 'missing_field', () => read(noSize));
    refusedWith(400, 'invalid_field', () => read({ ...good, n: '0' }));
    refusedWith(400, 'invalid_field', () => read({ ...good, n: '4' }));
    refusedWith(400, 'invalid_field', () => read({ ...good, n: '1.5' }));
    refusedWith(400, 'invalid_field', () => read({ ...good, size: '-3' }));
    refusedWith(400, 'invalid_field', () => read({ ...good, size: '2', count: '3', n: '1' }));
    refusedWith(400, 'invalid_field', () => read({ ...good, session: 'me' }));
  });

  it('refuses a topic that is not a URI of the realm, and extras that are not JSON objects or nest too deep', () => {
    refusedWith(400, 'invalid_uri', () => read({ ...good, on_progress: 'not a uri' }));
    refusedWith(400, 'invalid_field', () => read({ ...good, ce: '[1]' }));
    refusedWith(400, 'invalid_field', () => read({ ...good, fe: '{' }));
    refusedWith(400, 'invalid_field', () => read({ ...good, ce: `${'{"a":'.repeat(20)}1${'}'.repeat(20)}` }));
  });
});
