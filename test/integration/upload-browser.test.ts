/**
 * resumable.js (npm `resumablejs`, the library Crossbar's upload example uses) in headless
 * Chromium against the upload path: the page tests each chunk with a GET, posts it, and the file
 * arrives byte-exact; a WAMP subscriber (our client) sees its progress events.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { connect, type Session } from '../../src/client/index.js';
import { loadDocument } from '../../src/config/test-support.js';
import type { RunningNode } from '../../src/node/node.js';
import { launchChromium, skipWithoutChromium, type LaunchedChromium } from '../support/chromium.js';
import { crossbarAnonymousEverything, startTestNode } from '../support/node.js';
import { waitFor } from '../support/wait.js';

const topic = 'com.example.upload.on_progress';
const fileSize = 5000;

/** What the page keeps on `window`: how resumable.js's upload ended. */
declare global {
  interface Window {
    outcome: string | undefined;
  }
}

describe('resumable.js in headless Chromium', { skip: skipWithoutChromium, timeout: 60_000 }, () => {
  let root: string;
  let node: RunningNode & { url: string };
  let chromium: LaunchedChromium;
  let page: Page;
  let watcher: Session;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'junction-upload-browser-'));
    const site = join(root, 'site');
    mkdirSync(site);
    mkdirSync(join(root, 'uploaded'));
    copyFileSync(createRequire(import.meta.url).resolve('resumablejs/resumable.js'), join(site, 'resumable.js'));
    writeFileSync(join(site, 'index.html'), '<!doctype html><title>upload</title><script src="resumable.js"></script>');
    // The upload path of crossbar-examples' fileupload config, with its folders here.
    node = await startTestNode(loadDocument({
      version: 2,
      workers: [{
        type: 'router',
        realms: [{ name: 'realm1', roles: [crossbarAnonymousEverything] }],
        transports: [{
          type: 'web', id: 'test', endpoint: { type: 'tcp', port: 0, interface: '127.0.0.1' },
          paths: {
            '/': { type: 'static', directory: site },
            ws: { type: 'websocket' },
            upload: {
              type: 'upload', realm: 'realm1', role: 'anonymous', directory: join(root, 'uploaded'), temp_directory: join(root, 'temp'),
              form_fields: {
                file_id: 'resumableIdentifier', file_name: 'resumableFilename', mime_type: 'resumableType', total_size: 'resumableTotalSize',
                chunk_number: 'resumableChunkNumber', chunk_size: 'resumableChunkSize', total_chunks: 'resumableTotalChunks', content: 'file',
                on_progress: 'on_progress',
              },
              options: { file_permissions: '0444', max_file_size: 209715200, file_types: ['.csv', '.txt'], debug: true },
            },
          },
        }],
      }],
    }), { dataDir: join(root, 'data') });
    watcher = await connect({ url: node.url, realm: 'realm1', reconnect: false });
    chromium = await launchChromium();
    page = await chromium.firstPage();
    await page.goto(`http://127.0.0.1:${node.ports.get('test')}/`);
  });

  after(async () => {
    await chromium?.close();
    await watcher?.leave();
    await node?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('uploads a file in chunks, testing each first, with progress events', async () => {
    const events: Record<string, unknown>[] = [];
    await watcher.subscribe<[Record<string, unknown>]>(topic, ([event]) => void events.push(event));
    await page.evaluate(({ topic, fileSize }) => {
      const bytes = new Uint8Array(fileSize).map((_, index) => (index * 31) % 251);
      const resumable = new (window as any).Resumable({ target: '/upload', chunkSize: 1024, simultaneousUploads: 3, testChunks: true, query: { on_progress: topic } });
      resumable.on('fileAdded', () => resumable.upload());
      resumable.on('fileSuccess', () => (window.outcome = 'success'));
      resumable.on('fileError', (_file: unknown, message: string) => (window.outcome = `error: ${message}`));
      resumable.addFile(new File([bytes], 'page.csv', { type: 'text/csv' }));
    }, { topic, fileSize });
    await page.waitForFunction(() => window.outcome !== undefined);
    assert.equal(await page.evaluate(() => window.outcome), 'success');

    const expected = Buffer.from(new Uint8Array(fileSize).map((_, index) => (index * 31) % 251));
    assert.deepEqual(readFileSync(join(root, 'uploaded', 'page.csv')), expected);
    // resumable.js makes floor(5000 / 1024) = 4 chunks, the last one holding the rest, and tested each one first.
    const outcomes = node.metrics.exposition().split('\n').filter((line) => line.startsWith('junction_upload_requests_total{'));
    assert.ok(outcomes.some((line) => line.includes('outcome="absent"') && line.endsWith(' 4')), outcomes.join('\n'));
    await waitFor(() => events.some((event) => event.status === 'finished'), 'the finished event');
    assert.deepEqual(events.map((event) => event.status), ['started', 'progress', 'progress', 'progress', 'progress', 'finished']);
    assert.deepEqual(events.at(-1), { id: 'page.csv', chunk: events.at(-1)!.chunk, name: 'page.csv', total: fileSize, remaining: 0, status: 'finished', progress: 1, chunk_extra: {}, finish_extra: {} });
  });
});
