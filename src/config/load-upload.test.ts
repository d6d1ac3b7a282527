import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { uploadDefaults } from './schema-upload.js';
import { configDocument, loadDocument, plain, problemsOf, realmWithRoles, serviceAt, webDocument } from './test-support.js';

/** The upload path of crossbar-examples' fileupload/.crossbar/config.json, as it is written there. */
const crossbarExample = {
  type: 'upload',
  realm: 'realm1',
  role: 'anonymous',
  directory: '../uploaded',
  form_fields: {
    file_id: 'resumableIdentifier',
    file_name: 'resumableFilename',
    mime_type: 'resumableType',
    total_size: 'resumableTotalSize',
    chunk_number: 'resumableChunkNumber',
    chunk_size: 'resumableChunkSize',
    total_chunks: 'resumableTotalChunks',
    content: 'file',
    on_progress: 'on_progress',
  },
  options: { file_permissions: '0444', max_file_size: 209715200, file_types: ['.csv', '.txt'], debug: true },
};

const requiredFields = {
  file_name: 'name', mime_type: 'type', total_size: 'size', chunk_number: 'n', chunk_size: 'size1', total_chunks: 'count', content: 'file',
};
const minimal = { type: 'upload', realm: 'realm1', role: 'backend', directory: '/srv/uploads', form_fields: requiredFields };
const at = 'workers[0].transports[0].paths.up';

describe('upload path service', () => {
  it("loads Crossbar's example config unchanged: keys it never read are ignored with a notice", () => {
    const config = loadDocument(webDocument({ upload: crossbarExample }));
    assert.deepEqual(plain(serviceAt(config.listeners[0], '/upload', 'upload')), {
      type: 'upload',
      realm: 'realm1',
      role: 'anonymous',
      directory: '/srv/uploaded',
      formFields: {
        fileName: 'resumableFilename', mimeType: 'resumableType', totalSize: 'resumableTotalSize', chunkNumber: 'resumableChunkNumber',
        chunkSize: 'resumableChunkSize', totalChunks: 'resumableTotalChunks', content: 'file', onProgress: 'on_progress',
      },
      maxFileSize: 209715200,
      fileTypes: ['.csv', '.txt'],
      fileMode: 0o444,
      maxChunkSize: uploadDefaults.maxChunkSize,
      maxChunks: uploadDefaults.maxChunks,
      maxUploads: uploadDefaults.maxUploads,
      maxTempBytes: uploadDefaults.maxTempBytes,
      uploadTimeoutMs: uploadDefaults.uploadTimeoutMs,
      maxRequestsInFlight: uploadDefaults.maxRequestsInFlight,
    });
    assert.deepEqual(config.notices, [
      'workers[0].transports[0].paths.upload.form_fields.file_id: the form field of a file ID (form_fields.file_id; the file name identifies an upload) is not needed by Junction and was ignored [config.notice.ignored]',
      'workers[0].transports[0].paths.upload.options.debug: Crossbar debug logging (debug; use --log-level) is not needed by Junction and was ignored [config.notice.ignored]',
    ]);
  });

  it('reads the old name "fileupload" as "upload", with Crossbar\'s default max_file_size, a temp_directory and every optional field', () => {
    const service = serviceAt(loadDocument(webDocument({
      up: {
        ...minimal, type: 'fileupload', temp_directory: 'tmp',
        form_fields: { ...requiredFields, on_progress: 'topic', session: 'sid', chunk_extra: 'ce', finish_extra: 'fe' },
        options: { max_chunk_size: 1024, max_chunks: 5, max_uploads: 2, max_temp_bytes: 1_000_000_000, upload_timeout: 5000, max_requests_in_flight: 3 },
      },
    })).listeners[0], '/up', 'upload');
    assert.equal(service.tempDirectory, '/srv/junction/tmp');
    assert.equal(service.maxFileSize, 10 * 1024 * 1024);
    assert.deepEqual(plain(service.formFields), {
      fileName: 'name', mimeType: 'type', totalSize: 'size', chunkNumber: 'n', chunkSize: 'size1', totalChunks: 'count', content: 'file',
      onProgress: 'topic', session: 'sid', chunkExtra: 'ce', finishExtra: 'fe',
    });
    assert.deepEqual([service.maxChunkSize, service.maxChunks, service.maxUploads, service.maxTempBytes, service.uploadTimeoutMs, service.maxRequestsInFlight],
      [1024, 5, 2, 1_000_000_000, 5000, 3]);
    assert.equal(service.fileMode, undefined);
    assert.equal(service.fileTypes, undefined);
  });

  it('refuses a missing directory or form field, bad permissions and file types, and a file larger than the temporary space', () => {
    const { content: _content, ...withoutContent } = requiredFields;
    assert.deepEqual(problemsOf(webDocument({
      up: {
        type: 'upload', realm: 'realm1', role: 'backend', form_fields: withoutContent,
        options: { file_permissions: 'rw-r--r--', file_types: ['csv'] },
      },
    })), [
      `${at}.directory: missing: "directory", the folder finished files are moved to`,
      `${at}.form_fields.content: missing: "content", the name of the form field holding the chunk's bytes (the file part)`,
      `${at}.options.file_types[0]: a file type is an extension with its dot, like ".csv"`,
      `${at}.options.file_permissions: expected octal permissions like "0644"`,
    ]);
    assert.deepEqual(problemsOf(webDocument({ up: { ...minimal, options: { max_file_size: 2048, max_temp_bytes: 1024 } } })), [
      `${at}.options.max_file_size: max_file_size (2048) must not be more than max_temp_bytes (1024)`,
    ]);
    assert.deepEqual(problemsOf(webDocument({ up: { type: 'upload', realm: 'realm1', role: 'backend', directory: 'x' } })), [
      `${at}.form_fields: missing: "form_fields", the names of the form fields the client sends (resumable.js: "resumableFilename"...)`,
    ]);
  });

  it('checks that its realm and role exist', () => {
    const document = configDocument({
      realms: [realmWithRoles('realm1', ['anonymous'])],
      transports: [{ type: 'web', endpoint: { type: 'tcp', port: 0 }, paths: { up: { ...minimal, role: 'uploader' }, up2: { ...minimal, realm: 'nowhere' } } }],
    });
    const problems = problemsOf(document);
    assert.ok(problems.some((line) => line.startsWith(`${at}.role:`) && line.includes('"uploader"')), problems.join('\n'));
    assert.ok(problems.some((line) => line.startsWith('workers[0].transports[0].paths.up2.realm:') && line.includes('"nowhere"')), problems.join('\n'));
  });
});
