/**
 * The upload path end to end through a real node: resumable.js-style chunk POSTs (multipart, sent
 * with undici's FormData), the chunk test GET, the file put together byte-exact in its folder,
 * progress events to a WAMP subscriber (our client), refusals, and abandoned uploads removed.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fetch, FormData } from 'undici';
import { connect as connectClient, type Session } from '../../src/client/index.js';
import { loadDocument } from '../../src/config/test-support.js';
import { startTestNode } from '../support/node.js';
import { waitFor } from '../support/wait.js';

const root = await mkdtemp(join(tmpdir(), 'junction-upload-'));
const uploaded = join(root, 'uploaded');
const temp = join(root, 'temp');
await mkdir(uploaded);
const progressTopic = 'com.example.upload.progress';

const formFields = {
  file_name: 'resumableFilename', mime_type: 'resumableType', total_size: 'resumableTotalSize', chunk_number: 'resumableChunkNumber',
  chunk_size: 'resumableChunkSize', total_chunks: 'resumableTotalChunks', content: 'file', on_progress: 'on_progress', session: 'session',
  chunk_extra: 'chunk_extra', finish_extra: 'finish_extra',
};
const config = loadDocument({
  version: 2,
  workers: [{
    type: 'router',
    realms: [{
      name: 'realm1',
      roles: [
        { name: 'anonymous', permissions: [{ uri: '', match: 'prefix', allow: { subscribe: true } }] },
        // The upload path may publish progress under com.example.upload. only.
        { name: 'uploader', permissions: [{ uri: 'com.example.upload.', match: 'prefix', allow: { publish: true } }] },
      ],
    }],
    transports: [{
      type: 'web', id: 'test',
      endpoint: { type: 'tcp', port: 0, interface: '127.0.0.1' },
      paths: {
        ws: { type: 'websocket' },
        upload: {
          type: 'upload', realm: 'realm1', role: 'uploader', directory: uploaded, temp_directory: temp, form_fields: formFields,
          options: { file_permissions: '0640', max_file_size: 100_000, file_types: ['.bin', '.csv'], max_chunk_size: 4096 },
        },
        small: {
          type: 'fileupload', realm: 'realm1', role: 'uploader', directory: uploaded, form_fields: formFields,
          options: { max_file_size: 100, max_uploads: 1, upload_timeout: 1000 },
        },
      },
    }],
  }],
});
const dataDir = join(root, 'data');
const node = await startTestNode(config, { dataDir });
const base = `http://127.0.0.1:${node.ports.get('test')}`;
let watcher: Session;
let other: Session;

before(async () => {
  watcher = await connectClient({ url: node.url, realm: 'realm1', reconnect: false });
  other = await connectClient({ url: node.url, realm: 'realm1', reconnect: false });
});

after(async () => {
  await watcher?.leave();
  await other?.leave();
  await node.stop();
  await rm(root, { recursive: true, force: true });
});

interface Chunk {
  name: string;
  file: Buffer;
  number: number;
  count: number;
  /** Form fields to add or replace (a value of undefined leaves the field out). */
  fields?: Record<string, string | undefined>;
  /** Put the text fields after the file part. */
  fieldsLast?: boolean;
  path?: string;
}

/** The bytes of chunk `number` of `count` equal chunks of `file` (the last one takes the rest, as resumable.js does). */
function chunkBytes(file: Buffer, number: number, count: number): Buffer {
  const size = Math.floor(file.length / count);
  return file.subarray((number - 1) * size, number === count ? file.length : number * size);
}

/** POSTs one chunk as resumable.js does: its fields, then the bytes in "file". */
async function sendChunk({ name, file, number, count, fields = {}, fieldsLast = false, path = '/upload' }: Chunk): Promise<{ status: number; body: any }> {
  const bytes = chunkBytes(file, number, count);
  const text: Record<string, string | undefined> = {
    resumableChunkNumber: String(number), resumableChunkSize: String(Math.floor(file.length / count)), resumableCurrentChunkSize: String(bytes.length),
    resumableTotalSize: String(file.length), resumableType: 'application/octet-stream', resumableIdentifier: `${file.length}-${name}`,
    resumableFilename: name, resumableRelativePath: name, resumableTotalChunks: String(count), on_progress: progressTopic, ...fields,
  };
  const form = new FormData();
  const addText = () => {
    for (const [key, value] of Object.entries(text)) if (value !== undefined) form.append(key, value);
  };
  if (!fieldsLast) addText();
  form.append('file', new Blob([new Uint8Array(bytes)]), name);
  if (fieldsLast) addText();
  const response = await fetch(`${base}${path}`, { method: 'POST', body: form });
  const answer = await response.text();
  return { status: response.status, body: answer ? JSON.parse(answer) : undefined };
}

async function testChunk(name: string, number: number, path = '/upload'): Promise<number> {
  const response = await fetch(`${base}${path}?resumableFilename=${encodeURIComponent(name)}&resumableChunkNumber=${number}`);
  await response.arrayBuffer();
  return response.status;
}

/** The progress events `session` receives on the topic for file `name`, as they arrive. */
async function progressOf(session: Session, name: string): Promise<Record<string, any>[]> {
  const events: Record<string, any>[] = [];
  await session.subscribe<[Record<string, any>]>(progressTopic, ([event]) => {
    if (event.name === name) events.push(event);
  });
  return events;
}

function metric(name: string, path: string, extra = ''): number {
  const line = node.metrics.exposition().split('\n').find((candidate) => candidate.startsWith(`${name}{`) && candidate.includes(`path="${path}"`) && candidate.includes(extra));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('upload path', { timeout: 60_000 }, () => {
  it('puts a file sent in 3 chunks together byte-exact, answers the chunk test, and publishes started, progress and finished', async () => {
    const file = randomBytes(3000);
    const events = await progressOf(watcher, 'three.bin');
    assert.equal(await testChunk('three.bin', 1), 404);
    const extras = { chunk_extra: '{"user":"ann"}', finish_extra: '{"then":"index"}' };
    assert.deepEqual(await sendChunk({ name: 'three.bin', file, number: 1, count: 3, fields: extras }), { status: 200, body: { chunk: 1, status: 'stored' } });
    assert.equal(await testChunk('three.bin', 1), 200);
    assert.equal(await testChunk('three.bin', 2), 404);
    assert.equal((await sendChunk({ name: 'three.bin', file, number: 2, count: 3, fields: extras })).status, 200);
    assert.ok(!existsSync(join(uploaded, 'three.bin')), 'no file before its last chunk');
    assert.deepEqual(await sendChunk({ name: 'three.bin', file, number: 3, count: 3, fields: extras }), { status: 200, body: { chunk: 3, status: 'finished' } });

    assert.deepEqual(await readFile(join(uploaded, 'three.bin')), file);
    assert.equal((await stat(join(uploaded, 'three.bin'))).mode & 0o777, 0o640);
    assert.deepEqual(await readdir(temp), [], 'the chunks are removed');
    assert.deepEqual((await readdir(uploaded)).filter((name) => name.startsWith('.')), [], 'no hidden part file is left');
    assert.equal(await testChunk('three.bin', 1), 404, 'a finished upload is forgotten');

    await waitFor(() => events.length >= 5, 'five progress events');
    const common = { id: 'three.bin', name: 'three.bin', total: 3000, chunk_extra: { user: 'ann' } };
    assert.deepEqual(events, [
      { ...common, chunk: 1, remaining: 3000, status: 'started', progress: 0 },
      { ...common, chunk: 1, remaining: 2000, status: 'progress', progress: 0.333 },
      { ...common, chunk: 2, remaining: 1000, status: 'progress', progress: 0.667 },
      { ...common, chunk: 3, remaining: 0, status: 'progress', progress: 1 },
      { ...common, chunk: 3, remaining: 0, status: 'finished', progress: 1, finish_extra: { then: 'index' } },
    ]);
  });

  it('takes chunks out of order and a chunk sent again', async () => {
    const file = randomBytes(5000);
    for (const number of [3, 1, 3, 2]) {
      assert.equal((await sendChunk({ name: 'shuffled.bin', file, number, count: 3 })).status, 200, `chunk ${number}`);
    }
    assert.deepEqual(await readFile(join(uploaded, 'shuffled.bin')), file);
  });

  it('publishes only to the session the form names', async () => {
    const file = randomBytes(100);
    const mine = await progressOf(watcher, 'mine.csv');
    const theirs = await progressOf(other, 'mine.csv');
    assert.equal((await sendChunk({ name: 'mine.csv', file, number: 1, count: 1, fields: { session: String(watcher.id) } })).status, 200);
    await waitFor(() => mine.length >= 2, 'started and finished');
    assert.deepEqual(mine.map((event) => event.status), ['started', 'finished']);
    // Sent to both in the same turn had it been eligible: an event for "other" would have arrived with ours.
    await other.call('wamp.session.count').catch(() => undefined);
    assert.deepEqual(theirs, []);
  });

  it('refuses a file too large, a type not listed and names that leave the folder or hide, keeping nothing', async () => {
    const file = randomBytes(200);
    const refused = async (chunk: Partial<Chunk>, status: number, error: string) => {
      const answer = await sendChunk({ name: 'x.bin', file, number: 1, count: 2, ...chunk });
      assert.equal(answer.status, status, JSON.stringify(answer.body));
      assert.equal(answer.body.error, error);
      assert.equal(typeof answer.body.message, 'string');
    };
    await refused({ fields: { resumableTotalSize: '100001' } }, 413, 'file_too_large');
    await refused({ name: 'run.sh' }, 415, 'file_type_not_allowed');
    for (const name of ['../escape.bin', 'a/b.bin', '..', '.hidden.bin']) await refused({ name }, 400, 'invalid_file_name');
    await refused({ file: randomBytes(10_000) }, 413, 'chunk_too_large');
    await refused({ fields: { on_progress: 'com.example.other.progress' } }, 403, 'event_refused');
    await refused({ fieldsLast: true }, 400, 'missing_field');
    assert.deepEqual(await readdir(temp), []);
    assert.ok(!existsSync(join(root, 'escape.bin')));
    assert.equal(metric('junction_upload_requests_total', '/upload', 'outcome="invalid_file_name"'), 4);
  });

  it('refuses what is not a chunk upload with a reason', async () => {
    const plain = await fetch(`${base}/upload`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(plain.status, 415);
    assert.equal(((await plain.json()) as { error: string }).error, 'unsupported_content_type');
    const urlencoded = await fetch(`${base}/upload`, { method: 'POST', body: new URLSearchParams({ resumableFilename: 'a.bin' }) });
    assert.equal(urlencoded.status, 415);
    await urlencoded.arrayBuffer();
    const put = await fetch(`${base}/upload`, { method: 'PUT', body: 'x' });
    assert.equal(put.status, 405);
    assert.equal(put.headers.get('allow'), 'GET, POST');
    await put.arrayBuffer();
    const test = await fetch(`${base}/upload?resumableFilename=a.bin`);
    assert.equal(test.status, 400);
    assert.match(((await test.json()) as { message: string }).message, /resumableChunkNumber/);
    for (const [query, error] of [['resumableFilename=..%2Fdata&resumableChunkNumber=1', 'invalid_file_name'], ['resumableFilename=a.bin&resumableChunkNumber=x', 'invalid_field']]) {
      const refused = await fetch(`${base}/upload?${query}`);
      assert.equal(refused.status, 400);
      assert.equal(((await refused.json()) as { error: string }).error, error);
    }
  });

  it('refuses forms past their bounds, and keeps nothing of a chunk whose client left', async () => {
    const file = randomBytes(2000);
    const long = await sendChunk({ name: 'form.bin', file, number: 1, count: 2, fields: { chunk_extra: `{"a":"${'x'.repeat(70_000)}"}` } });
    assert.deepEqual([long.status, long.body.error], [413, 'field_too_large']);
    const many = await sendChunk({ name: 'form.bin', file, number: 1, count: 2, fields: Object.fromEntries(Array.from({ length: 40 }, (_, index) => [`extra${index}`, 'x'])) });
    assert.deepEqual([many.status, many.body.error], [413, 'form_too_large']);
    const form = new FormData();
    form.append('attachment', new Blob(['x']), 'form.bin');
    const other = await fetch(`${base}/upload`, { method: 'POST', body: form });
    assert.deepEqual([other.status, ((await other.json()) as { error: string }).error], [400, 'unexpected_file']);

    // Half a chunk, then the connection is dropped.
    const boundary = 'junction-test-boundary';
    const head = ['resumableFilename', 'form.bin', 'resumableTotalSize', '2000', 'resumableTotalChunks', '2', 'resumableChunkNumber', '1', 'resumableChunkSize', '1000']
      .reduce((text, value, index, all) => (index % 2 === 0 ? `${text}--${boundary}\r\ncontent-disposition: form-data; name="${value}"\r\n\r\n${all[index + 1]}\r\n` : text), '')
      + `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="form.bin"\r\ncontent-type: application/octet-stream\r\n\r\n`;
    const gone = metric('junction_upload_requests_total', '/upload', 'outcome="client_gone"');
    const socket = connect(node.ports.get('test')!, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write(`POST /upload HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: multipart/form-data; boundary=${boundary}\r\ncontent-length: ${head.length + 1000 + 100}\r\n\r\n${head}`);
    socket.write(randomBytes(500));
    await waitFor(() => existsSync(join(temp, 'form.bin')), 'the upload begun');
    socket.destroy();
    await waitFor(() => metric('junction_upload_requests_total', '/upload', 'outcome="client_gone"') === gone + 1, 'the client counted as gone');
    assert.ok(!existsSync(join(temp, 'form.bin')), 'an upload whose first chunk was not kept is removed');
  });

  it('removes an upload with no chunk for upload_timeout, and holds to max_uploads until then', async () => {
    const file = randomBytes(100);
    const folder = join(dataDir, 'upload-temp', 'test', 'small');
    assert.equal((await sendChunk({ name: 'left.bin', file, number: 1, count: 2, path: '/small' })).status, 200);
    assert.ok(existsSync(join(folder, 'left.bin', 'chunk_1')));
    const second = await sendChunk({ name: 'next.bin', file, number: 1, count: 2, path: '/small' });
    assert.equal(second.status, 429);
    assert.equal(second.body.error, 'too_many_uploads');
    assert.equal(metric('junction_upload_uploads', '/small'), 1);
    assert.equal(metric('junction_upload_temp_bytes', '/small'), 50);

    // Counted once it is removed (its folder is renamed away first, then deleted): the count is the event to wait for.
    await waitFor(() => metric('junction_upload_abandoned_total', '/small') === 1, 'the abandoned upload counted', 10_000);
    assert.ok(!existsSync(join(folder, 'left.bin')), 'the abandoned upload removed');
    assert.deepEqual(readdirSync(folder), [], 'nothing left of it, not even under its claimed name');
    assert.equal(await testChunk('left.bin', 1, '/small'), 404);
    assert.equal(metric('junction_upload_temp_bytes', '/small'), 0);
    assert.equal((await sendChunk({ name: 'next.bin', file, number: 1, count: 1, path: '/small' })).status, 200);
    assert.deepEqual(await readFile(join(uploaded, 'next.bin')), file);
  });
});
