/**
 * A page that loads gzipped files, in headless Chromium: JavaScript as `.jgz` (AutobahnJS ships
 * `autobahn.min.jgz`) from a static path and from an archive path, and a stylesheet as `.css.gz`
 * (crossbar-examples' `demos/votes/nodejs` links `css/materialize_cb.min.css.gz`). The browser
 * uses them only if they come as JavaScript or CSS with Content-Encoding gzip.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { loadDocument } from '../../src/config/test-support.js';
import type { RunningNode } from '../../src/node/node.js';
import { launchChromium, skipWithoutChromium, type LaunchedChromium } from '../support/chromium.js';
import { startTestNode } from '../support/node.js';
import { writeZip, zipWriterMissing } from '../support/zip.js';

/** What the two scripts leave on `window` when they run. */
declare global {
  interface Window {
    fromStatic?: string;
    fromArchive?: string;
  }
}

describe('gzipped scripts and stylesheets in headless Chromium', { skip: skipWithoutChromium || zipWriterMissing(), timeout: 60_000 }, () => {
  let root: string;
  let node: RunningNode & { url: string };
  let chromium: LaunchedChromium;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'junction-jgz-browser-'));
    const site = join(root, 'web');
    mkdirSync(join(site, 'shared'), { recursive: true });
    writeFileSync(join(site, 'shared', 'lib.min.jgz'), gzipSync('window.fromStatic = "static ran";'));
    writeZip(join(root, 'lib.zip'), [{ name: 'lib-1.0/lib.min.jgz', data: gzipSync('window.fromArchive = "archive ran";') }]);
    writeFileSync(join(site, 'shared', 'style.min.css.gz'), gzipSync('body { color: rgb(1, 2, 3); }'));
    writeFileSync(join(site, 'index.html'), '<!doctype html><title>jgz</title><link rel="stylesheet" href="/shared/style.min.css.gz">'
      + '<script src="/shared/lib.min.jgz"></script><script src="/zipped/lib.min.jgz"></script>');
    node = await startTestNode(loadDocument({
      version: 2,
      workers: [{
        type: 'router',
        transports: [{
          type: 'web', id: 'test', endpoint: { type: 'tcp', port: 0, interface: '127.0.0.1' },
          paths: {
            '/': { type: 'static', directory: site },
            // The archive path of authentication/cookie's config, with its own mime_types.
            zipped: { type: 'archive', archive: join(root, 'lib.zip'), object_prefix: 'lib-1.0', mime_types: { '.jgz': 'text/javascript' } },
          },
        }],
      }],
    }));
    chromium = await launchChromium();
  });

  after(async () => {
    await chromium?.close();
    await node?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('runs a .jgz script from a static path and from an archive path', async () => {
    const page = await chromium.firstPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`http://127.0.0.1:${node.ports.get('test')}/`);
    assert.deepEqual(await page.evaluate(() => [window.fromStatic, window.fromArchive]), ['static ran', 'archive ran']);
    assert.deepEqual(pageErrors, []);
  });

  it('applies a .css.gz stylesheet', async () => {
    const page = await chromium.firstPage();
    await page.goto(`http://127.0.0.1:${node.ports.get('test')}/`);
    assert.equal(await page.evaluate(() => getComputedStyle(document.body).color), 'rgb(1, 2, 3)');
  });
});
