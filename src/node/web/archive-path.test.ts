import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { ArchiveService, JunctionConfig } from '../../config/model.js';
import { startTestNode, testConfig } from '../../../test/support/node.js';
import { writeZip, zipWriterMissing } from '../../../test/support/zip.js';
import type { RunningNode } from '../node.js';
import { StartupError } from '../startup-errors.js';

function archiveService(archive: string, overrides: Partial<ArchiveService> = {}): ArchiveService {
  return { type: 'archive', archive, download: false, hashes: [], mimeTypes: {}, ...overrides };
}

function configWith(paths: Record<string, ArchiveService>): JunctionConfig {
  const config = testConfig();
  Object.assign(config.listeners[0]!.paths, paths);
  return config;
}

/** The path sent exactly as written (fetch would resolve "%2e%2e"). */
function rawGet(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
    req.end();
  });
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** Start-up must fail with an archive_unusable StartupError whose message matches. */
async function refusedAtStart(config: JunctionConfig, message: RegExp): Promise<void> {
  const outcome = await startTestNode(config).then((node) => node, (error: unknown) => error);
  if (!(outcome instanceof Error)) {
    await (outcome as RunningNode).stop();
    assert.fail('the node started');
  }
  assert.ok(outcome instanceof StartupError, String(outcome));
  assert.equal(outcome.code, 'archive_unusable');
  assert.match(outcome.message, message);
}

describe('archive path service', { skip: zipWriterMissing() }, () => {
  let base: string;
  let node: RunningNode;
  let url: string;
  const get = (path: string, init?: RequestInit) => fetch(url + path, { redirect: 'manual', ...init });

  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'junction-archive-'));
    const app = join(base, 'app.zip');
    writeZip(app, [
      { name: 'site/index.html', data: '<h1>home</h1>' },
      { name: 'site/app.js', data: 'console.log(1)' },
      { name: 'site/style.css', data: 'body{}' },
      { name: 'site/autobahn.min.js', data: 'ab()' },
      { name: 'site/autobahn.min.jgz', data: gzipSync('ab()') },
      { name: 'site/module.wasm', data: Buffer.from([0, 0x61, 0x73, 0x6d]), stored: true },
      { name: 'site/docs/index.html', data: '<h1>docs</h1>' },
      { name: 'site/docs/guide.txt', data: 'read me' },
      { name: 'site/.env', data: 'SECRET' },
      { name: 'other.txt', data: 'outside the prefix' },
    ]);
    node = await startTestNode(configWith({
      '/app': archiveService(app, { objectPrefix: 'site', defaultObject: 'index.html', mimeTypes: { '.wasm': 'application/wasm', '.min.js': 'application/x-test-min' } }),
      '/spa': archiveService(app, { objectPrefix: 'site', fallbackObject: 'index.html' }),
      '/raw': archiveService(app),
    }));
    url = `http://127.0.0.1:${node.ports.get('test')!}`;
  });

  after(async () => {
    await node?.stop();
    await rm(base, { recursive: true, force: true });
  });

  it('serves default_object for the path, with its type, validators and caching headers', async () => {
    const reply = await get('/app/');
    assert.equal(reply.status, 200);
    assert.equal(await reply.text(), '<h1>home</h1>');
    assert.equal(reply.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(reply.headers.get('content-length'), '13');
    assert.equal(reply.headers.get('cache-control'), 'no-cache');
    assert.equal(reply.headers.get('x-content-type-options'), 'nosniff');
    assert.match(reply.headers.get('etag')!, /^"[0-9a-f]+-d"$/);
    assert.ok(Date.parse(reply.headers.get('last-modified')!) > 0);

    const bare = await get('/app');
    assert.equal(bare.status, 301);
    assert.equal(bare.headers.get('location'), './app/');
  });

  it('gives each file its MIME type, the path\'s mime_types first (".min.js" included)', async () => {
    const types: Record<string, string> = {
      '/app/app.js': 'text/javascript; charset=utf-8',
      '/app/style.css': 'text/css; charset=utf-8',
      '/app/autobahn.min.js': 'application/x-test-min',
      '/app/module.wasm': 'application/wasm',
      '/app/docs/guide.txt': 'text/plain; charset=utf-8',
      '/spa/autobahn.min.js': 'text/javascript; charset=utf-8',
    };
    for (const [path, type] of Object.entries(types)) {
      const reply = await get(path);
      assert.equal(reply.status, 200, path);
      assert.equal(reply.headers.get('content-type'), type, path);
      await reply.arrayBuffer();
    }
    assert.deepEqual(Buffer.from(await (await get('/app/module.wasm')).arrayBuffer()), Buffer.from([0, 0x61, 0x73, 0x6d]));
  });

  it('sends a gzipped .jgz file with Content-Encoding gzip, which fetch, as a browser, inflates', async () => {
    const reply = await get('/spa/autobahn.min.jgz');
    assert.equal(reply.status, 200);
    assert.equal(reply.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(reply.headers.get('content-encoding'), 'gzip');
    assert.equal(await reply.text(), 'ab()');
    assert.equal((await get('/app/autobahn.min.js')).headers.get('content-encoding'), null);
  });

  it('serves default_object for a folder, redirecting the name without its slash', async () => {
    assert.equal(await (await get('/app/docs/')).text(), '<h1>docs</h1>');
    const bare = await get('/app/docs?x=1');
    assert.equal(bare.status, 301);
    assert.equal(bare.headers.get('location'), './docs/?x=1');
  });

  it('looks names up below object_prefix only', async () => {
    assert.equal((await get('/app/other.txt')).status, 404);
    assert.equal(await (await get('/raw/other.txt')).text(), 'outside the prefix');
    assert.equal(await (await get('/raw/site/app.js')).text(), 'console.log(1)');
    assert.equal((await get('/raw/')).status, 404, 'no default_object: the folder itself is not found');
  });

  it('answers 404 for missing names and dotfiles, 400 for a climbing path, 405 for POST', async () => {
    const missing = await get('/app/missing.js');
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), { error: 'not_found', message: 'no file at /app/missing.js' });
    assert.equal((await get('/app/.env')).status, 404);
    assert.equal(await rawGet(node.ports.get('test')!, '/app/%2e%2e/other.txt'), 400);
    const post = await get('/app/app.js', { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const reply = await get('/app/style.css', { method: 'HEAD' });
    assert.equal(reply.status, 200);
    assert.equal(reply.headers.get('content-length'), '6');
    assert.equal(reply.headers.get('content-type'), 'text/css; charset=utf-8');
    assert.equal((await reply.arrayBuffer()).byteLength, 0);
  });

  it('answers 304 to a current If-None-Match or If-Modified-Since', async () => {
    const first = await get('/app/app.js');
    await first.text();
    const etag = first.headers.get('etag')!;
    const byTag = await get('/app/app.js', { headers: { 'if-none-match': etag } });
    assert.equal(byTag.status, 304);
    assert.equal(byTag.headers.get('etag'), etag);
    assert.equal((await get('/app/app.js', { headers: { 'if-modified-since': first.headers.get('last-modified')! } })).status, 304);
    assert.equal((await get('/app/app.js', { headers: { 'if-none-match': '"other"' } })).status, 200);
  });

  it('serves options.default_file for a name the archive lacks (a single-page app\'s routes)', async () => {
    const route = await get('/spa/orders/42');
    assert.equal(route.status, 200);
    assert.equal(await route.text(), '<h1>home</h1>');
    assert.equal(await (await get('/spa/app.js')).text(), 'console.log(1)');
  });
});

describe('archive path service: download, hashes and refusals', { skip: zipWriterMissing() }, () => {
  let base: string;
  let origin: Server;
  let originUrl: string;
  let zipBytes: Buffer;
  const running: RunningNode[] = [];

  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'junction-archive-dl-'));
    writeZip(join(base, 'origin.zip'), [{ name: 'index.html', data: '<h1>downloaded</h1>' }]);
    zipBytes = await readFile(join(base, 'origin.zip'));
    origin = createServer((request, response) => {
      if (request.url === '/moved.zip') {
        response.writeHead(302, { location: '/app.zip' }).end();
      } else if (request.url === '/huge.zip') {
        response.writeHead(200, { 'content-length': String(2 * 1024 ** 3) });
        response.write('PK');
      } else if (request.url === '/app.zip') {
        response.writeHead(200, { 'content-type': 'application/zip' }).end(zipBytes);
      } else {
        response.writeHead(404).end('no such file');
      }
    });
    await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
    originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
  });

  after(async () => {
    for (const node of running) await node.stop();
    await new Promise((resolve) => origin.close(resolve));
    await rm(base, { recursive: true, force: true });
  });

  it('downloads a missing archive from origin (following a redirect), checks its hash, keeps it and serves it', async () => {
    const archive = join(base, 'downloaded.zip');
    const node = await startTestNode(configWith({
      '/app': archiveService(archive, { origin: `${originUrl}/moved.zip`, download: true, hashes: ['ab'.repeat(32), sha256(zipBytes)], defaultObject: 'index.html' }),
    }));
    running.push(node);
    const reply = await fetch(`http://127.0.0.1:${node.ports.get('test')!}/app/`);
    assert.equal(await reply.text(), '<h1>downloaded</h1>');
    assert.deepEqual(await readFile(archive), zipBytes);
  });

  it('refuses to start when the download does not match hashes, and keeps nothing of it', async () => {
    const archive = join(base, 'tampered.zip');
    await refusedAtStart(configWith({ '/app': archiveService(archive, { origin: `${originUrl}/app.zip`, download: true, hashes: ['ab'.repeat(32)] }) }),
      new RegExp(`path "/app": the archive downloaded from .* has SHA-256 ${sha256(zipBytes)}, which is not one of "hashes"`));
    assert.equal(existsSync(archive), false);
    assert.equal(existsSync(`${archive}.download-${process.pid}`), false);
  });

  it('refuses to start when an archive already there does not match hashes', async () => {
    await refusedAtStart(configWith({ '/app': archiveService(join(base, 'origin.zip'), { hashes: ['cd'.repeat(32)] }) }), /the archive .*origin\.zip has SHA-256 [0-9a-f]{64}, which is not one of "hashes"/);
  });

  it('refuses to start when the origin answers an error', async () => {
    const archive = join(base, 'absent.zip');
    await refusedAtStart(configWith({ '/app': archiveService(archive, { origin: `${originUrl}/gone.zip`, download: true }) }), /could not be downloaded from .*gone\.zip \(the origin answered HTTP 404\)/);
    assert.equal(existsSync(archive), false);
  });

  it('refuses a download larger than the archive limit before reading it', async () => {
    const archive = join(base, 'huge.zip');
    await refusedAtStart(configWith({ '/app': archiveService(archive, { origin: `${originUrl}/huge.zip`, download: true }) }),
      /could not be downloaded from .*huge\.zip \(the origin announced 2147483648 bytes, more than the 1073741824 allowed\)/);
    assert.equal(existsSync(archive), false);
  });

  it('starts without a missing archive when download is false (as Crossbar), answering 404 until it is there and reloaded', async () => {
    const archive = join(base, 'later.zip');
    const config = configWith({ '/app': archiveService(archive, { origin: `${originUrl}/app.zip`, defaultObject: 'index.html' }) });
    const node = await startTestNode(config);
    running.push(node);
    const appUrl = `http://127.0.0.1:${node.ports.get('test')!}/app/`;
    assert.equal((await fetch(appUrl)).status, 404);

    await rename(join(base, 'origin.zip'), archive);
    const report = await node.reload(config);
    assert.deepEqual(report.notApplied, []);
    assert.equal(await (await fetch(appUrl)).text(), '<h1>downloaded</h1>');

    writeZip(join(base, 'next.zip'), [{ name: 'index.html', data: '<h1>next release</h1>' }]);
    await utimes(join(base, 'next.zip'), new Date(), new Date(Date.now() + 5_000));
    await rename(join(base, 'next.zip'), archive);
    await node.reload(config);
    assert.equal(await (await fetch(appUrl)).text(), '<h1>next release</h1>', 'a replaced archive is served from the next reload');
  });

  it('refuses to start on a zip bomb, a climbing entry name or a file that is no archive', async () => {
    const bomb = join(base, 'bomb.zip');
    writeZip(bomb, [{ name: 'index.html', data: 'ok' }, { name: 'zeros.bin', data: Buffer.alloc(4 * 1024 * 1024) }]);
    await refusedAtStart(configWith({ '/app': archiveService(bomb) }), /path "\/app": the archive .*bomb\.zip is refused: the entry "zeros\.bin" expands \d+ times, more than the 200 allowed/);

    const traversal = join(base, 'traversal.zip');
    writeZip(traversal, [{ name: 'index.html', data: 'ok' }, { name: '../../etc/cron.d/evil', data: 'x' }]);
    await refusedAtStart(configWith({ '/app': archiveService(traversal) }), /is refused: an entry's name leads outside the archive/);

    await refusedAtStart(configWith({ '/app': archiveService(join(base, 'nowhere.zip')) }), /the archive .*nowhere\.zip does not exist, and there is no "origin" to download it from/);
    const notZip = join(base, 'readme.zip');
    await writeFile(notZip, 'plain text');
    await refusedAtStart(configWith({ '/app': archiveService(notZip) }), /is refused: it is not a readable ZIP file/);
  });

  it('keeps serving the old archive when a reload brings one that fails its hash, and counts the refusal', async () => {
    const archive = join(base, 'steady.zip');
    writeZip(archive, [{ name: 'index.html', data: '<h1>steady</h1>' }]);
    const node = await startTestNode(configWith({ '/app': archiveService(archive, { defaultObject: 'index.html' }) }));
    running.push(node);
    const report = await node.reload(configWith({ '/app': archiveService(archive, { defaultObject: 'index.html', hashes: ['ef'.repeat(32)] }) }));
    assert.equal(report.notApplied.length, 1);
    assert.match(report.notApplied[0]!, /not applied: .*is not one of "hashes"/);
    assert.equal(await (await fetch(`http://127.0.0.1:${node.ports.get('test')!}/app/`)).text(), '<h1>steady</h1>');
    assert.equal(node.metrics.counter('junction_archive_refused_total', '').value({ transport: 'test', path: '/app', reason: 'hash_mismatch' }), 1);
    assert.equal(node.metrics.gauge('junction_archive_files', '').value({ transport: 'test', path: '/app' }), 1);
  });
});
