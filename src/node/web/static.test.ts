import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { StaticService } from '../../config/model.js';
import type { RunningNode } from '../node.js';
import { startTestNode, testConfig } from '../../../test/support/node.js';

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

/** One request with the path sent exactly as written (fetch would resolve "..", this does not). */
function send(port: number, path: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode!, headers: res.headers, body, text: body.toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function staticService(directory: string, overrides: Partial<StaticService> = {}): StaticService {
  return { type: 'static', directory, defaultFile: 'index.html', directoryListing: false, cacheTimeoutSeconds: 600, mimeTypes: {}, ...overrides };
}

const secret = 'TOP-SECRET-CONTENT';
const big = Buffer.alloc(3 * 1024 * 1024 + 17, 0);
for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;

describe('static path service', () => {
  let base: string;
  let root: string;
  let node: RunningNode;
  let port: number;
  const get = (path: string, headers?: Record<string, string>) => send(port, path, { headers });

  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'junction-static-'));
    root = join(base, 'site');
    await mkdir(join(root, 'docs'), { recursive: true });
    await mkdir(join(root, 'app'), { recursive: true });
    await mkdir(join(base, 'outside'));
    await mkdir(join(root, 'http:'));
    await writeFile(join(root, 'index.html'), '<h1>home</h1>');
    await writeFile(join(root, 'app', 'index.html'), '<h1>app</h1>');
    await writeFile(join(root, 'app.js'), 'console.log(1)');
    await writeFile(join(root, 'app.min.jgz'), gzipSync('console.log(1)'));
    await writeFile(join(root, 'backup.tar.gz'), gzipSync('not a real tar'));
    await writeFile(join(root, 'style.css.gz'), gzipSync('body{}'));
    await writeFile(join(root, 'STYLE.CSS'), 'body{}');
    await writeFile(join(root, 'module.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d]));
    await writeFile(join(root, 'blob.bin'), Buffer.from([1, 2, 3]));
    await writeFile(join(root, 'big.bin'), big);
    await writeFile(join(root, 'empty.txt'), '');
    await writeFile(join(root, 'docs', 'readme.txt'), 'read me');
    await writeFile(join(root, 'docs', 'a<b>&"c\'.txt'), 'odd name');
    await mkdir(join(root, 'docs', 'sub dir'));
    await writeFile(join(root, '.env'), secret);
    await mkdir(join(root, '.git'));
    await writeFile(join(root, '.git', 'config'), secret);
    await writeFile(join(root, 'docs', '.htpasswd'), secret);
    await mkdir(join(root, '.well-known'));
    await writeFile(join(root, '.well-known', 'security.txt'), 'Contact: mailto:security@example.com');
    await writeFile(join(base, 'outside', 'secret.txt'), secret);
    await symlink(join(base, 'outside', 'secret.txt'), join(root, 'escape-file'));
    await symlink(join(base, 'outside'), join(root, 'escape-dir'));
    await symlink(join(root, 'docs', 'readme.txt'), join(root, 'inner-link.txt'));
    execFileSync('mkfifo', [join(root, 'pipe')]);

    const config = testConfig();
    const paths = config.listeners[0]!.paths;
    paths['/'] = staticService(root, { mimeTypes: { '.wasm': 'application/wasm', '.bin': 'application/x-junction-test' } });
    paths['/listed'] = staticService(root, { directoryListing: true, cacheTimeoutSeconds: 0 });
    node = await startTestNode(config);
    port = node.ports.get('test')!;
  });

  after(async () => {
    await node?.stop();
    await rm(base, { recursive: true, force: true });
  });

  it('serves the default file of the root with its type, validators and caching headers', async () => {
    const reply = await get('/');
    assert.equal(reply.status, 200);
    assert.equal(reply.text, '<h1>home</h1>');
    assert.equal(reply.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(reply.headers['cache-control'], 'public, max-age=600');
    assert.equal(reply.headers['x-content-type-options'], 'nosniff');
    assert.match(String(reply.headers.etag), /^"[0-9a-f]+-[0-9a-f]+"$/);
    assert.ok(Date.parse(String(reply.headers['last-modified'])) > 0);
    assert.equal(reply.headers['content-length'], '13');
  });

  it('gives each file its MIME type, with the service\'s own table first', async () => {
    const types: Record<string, string> = {
      '/app.js': 'text/javascript; charset=utf-8',
      '/STYLE.CSS': 'text/css; charset=utf-8',
      '/module.wasm': 'application/wasm',
      '/blob.bin': 'application/x-junction-test',
      '/docs/readme.txt': 'text/plain; charset=utf-8',
      '/listed/blob.bin': 'application/octet-stream',
    };
    for (const [path, type] of Object.entries(types)) {
      const reply = await get(path);
      assert.equal(reply.status, 200, path);
      assert.equal(reply.headers['content-type'], type, path);
    }
  });

  it('sends .jgz as JavaScript and .css.gz as CSS, with Content-Encoding gzip; a .tar.gz as itself', async () => {
    const jgz = await get('/app.min.jgz');
    assert.equal(jgz.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(jgz.headers['content-encoding'], 'gzip');
    assert.equal(gunzipSync(jgz.body).toString(), 'console.log(1)');
    const css = await get('/style.css.gz');
    assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
    assert.equal(css.headers['content-encoding'], 'gzip');
    assert.equal(gunzipSync(css.body).toString(), 'body{}');
    const gz = await get('/backup.tar.gz');
    assert.equal(gz.headers['content-type'], 'application/gzip');
    assert.equal(gz.headers['content-encoding'], undefined);
    assert.equal((await get('/app.js')).headers['content-encoding'], undefined);
  });

  it('keeps the WebSocket path and a longer static mount apart from the root mount', async () => {
    assert.equal((await get('/ws')).status, 426);
    assert.equal((await get('/listed/docs/readme.txt')).headers['cache-control'], 'no-cache');
  });

  it('answers 304 to a current If-None-Match or If-Modified-Since, 200 otherwise', async () => {
    const first = await get('/app.js');
    const etag = String(first.headers.etag);
    const lastModified = String(first.headers['last-modified']);

    const byTag = await get('/app.js', { 'if-none-match': etag });
    assert.equal(byTag.status, 304);
    assert.equal(byTag.body.length, 0);
    assert.equal(byTag.headers.etag, etag);
    assert.equal(byTag.headers['cache-control'], 'public, max-age=600');

    assert.equal((await get('/app.js', { 'if-modified-since': lastModified })).status, 304);
    assert.equal((await get('/app.js', { 'if-modified-since': new Date(Date.parse(lastModified) - 60_000).toUTCString() })).status, 200);
    assert.equal((await get('/app.js', { 'if-none-match': '"stale"', 'if-modified-since': lastModified })).status, 200);
  });

  it('answers HEAD with the headers only and refuses other methods with 405 and Allow', async () => {
    const head = await send(port, '/docs/readme.txt', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], '7');
    assert.equal(head.body.length, 0);
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const refused = await send(port, '/docs/readme.txt', { method });
      assert.equal(refused.status, 405, method);
      assert.equal(refused.headers.allow, 'GET, HEAD');
      assert.equal(JSON.parse(refused.text).error, 'method_not_allowed');
    }
  });

  it('redirects a folder without its slash so relative links work, keeping the query', async () => {
    const docs = await get('/docs?x=1');
    assert.equal(docs.status, 301);
    assert.equal(docs.headers.location, './docs/?x=1');
    const mount = await get('/listed');
    assert.equal(mount.status, 301);
    assert.equal(mount.headers.location, './listed/');
    const app = await get('/app/');
    assert.equal(app.text, '<h1>app</h1>');
    // A folder named like a URL scheme stays a relative path.
    assert.equal((await get('/http:')).headers.location, './http:/');
  });

  it('never serves or lists dotfiles and dot-folders, but serves .well-known', async () => {
    for (const path of ['/.env', '/.git/config', '/.git/', '/docs/.htpasswd', '/%2eenv', '/listed/.env']) {
      const reply = await get(path);
      assert.equal(reply.status, 404, path);
      assert.doesNotMatch(reply.text, new RegExp(secret), path);
    }
    assert.doesNotMatch((await get('/listed/docs/')).text, /htpasswd/);
    const wellKnown = await get('/.well-known/security.txt');
    assert.equal(wellKnown.status, 200);
    assert.match(wellKnown.text, /Contact:/);
  });

  it('lists no folder unless asked', async () => {
    const reply = await get('/docs/');
    assert.equal(reply.status, 404);
    assert.equal(JSON.parse(reply.text).error, 'not_found');
    assert.doesNotMatch(reply.text, /readme/);
  });

  it('lists a folder as escaped HTML when directoryListing is on', async () => {
    const reply = await get('/listed/docs/');
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(reply.headers['content-security-policy'], "default-src 'none'");
    assert.match(reply.text, /<title>Index of \/listed\/docs\/<\/title>/);
    assert.match(reply.text, /<a href="\.\/readme\.txt">readme\.txt<\/a>/);
    assert.match(reply.text, /<a href="\.\/sub%20dir\/">sub dir\/<\/a>/);
    assert.match(reply.text, /<a href="\.\/a%3Cb%3E%26%22c'\.txt">a&#60;b&#62;&#38;&#34;c&#39;\.txt<\/a>/);
    assert.doesNotMatch(reply.text, /<b>/);
    assert.match(reply.text, /href="\.\.\/"/);
    // Folders first.
    assert.ok(reply.text.indexOf('sub dir/') < reply.text.indexOf('readme.txt'));
    // The service's own root has no parent link, and still prefers its default file.
    assert.equal((await get('/listed/')).text, '<h1>home</h1>');
    assert.doesNotMatch((await get('/listed/escape-dir/')).text, /secret/);
  });

  it('answers 404 in JSON for a missing file, a file used as a folder, and a FIFO', async () => {
    for (const path of ['/nope.txt', '/docs/readme.txt/more', '/pipe']) {
      const reply = await get(path);
      assert.equal(reply.status, 404, path);
      assert.equal(reply.headers['content-type'], 'application/json; charset=utf-8');
      assert.equal(JSON.parse(reply.text).error, 'not_found');
    }
  });

  it('answers 404 with a page to a browser that navigated there (Accept text/html), the message escaped', async () => {
    const navigation = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
    const reply = await send(port, '/<b>nope</b>.txt', { headers: navigation });
    assert.equal(reply.status, 404);
    assert.equal(reply.headers['content-type'], 'text/html; charset=utf-8');
    assert.match(reply.text, /<title>404 Not Found<\/title>/);
    assert.match(reply.text, /no file at \/&#60;b&#62;nope&#60;\/b&#62;\.txt/);
    assert.doesNotMatch(reply.text, /<b>/);
    const unserved = await send(port, '/unserved-elsewhere', { headers: navigation });
    assert.equal(unserved.status, 404);
    assert.match(unserved.text, /nothing is served at|no file at/);
    // fetch, XHR and curl send a wildcard: they keep the JSON error.
    assert.equal(JSON.parse((await send(port, '/nope.txt', { headers: { accept: '*/*' } })).text).error, 'not_found');
  });

  for (const path of [
    '/../outside/secret.txt',
    '/docs/../../outside/secret.txt',
    '/%2e%2e/outside/secret.txt',
    '/docs/%2E%2E/%2e%2e/outside/secret.txt',
    '/..%2Foutside%2Fsecret.txt',
    '/docs%2Freadme.txt',
    '/docs/readme.txt%00.html',
    '/..\\outside\\secret.txt',
    '/listed/../../outside/secret.txt',
    '/%E0%A4%A',
  ]) {
    it(`refuses the traversal attempt ${path} with 400`, async () => {
      const reply = await get(path);
      assert.equal(reply.status, 400);
      assert.equal(JSON.parse(reply.text).error, 'bad_path');
      assert.doesNotMatch(reply.text, new RegExp(secret));
    });
  }

  it('decodes once only: a double-encoded ".." is a file name, not a step up', async () => {
    assert.equal((await get('/%252e%252e/outside/secret.txt')).status, 404);
  });

  it('refuses symlinks that leave the directory and follows those that stay inside', async () => {
    for (const path of ['/escape-file', '/escape-dir/secret.txt', '/listed/escape-dir/secret.txt']) {
      const reply = await get(path);
      assert.equal(reply.status, 403, path);
      assert.doesNotMatch(reply.text, new RegExp(secret));
    }
    assert.equal((await get('/inner-link.txt')).text, 'read me');
  });

  it('streams a large file whole, and a single byte range as 206', async () => {
    const whole = await get('/big.bin');
    assert.equal(whole.status, 200);
    assert.equal(whole.headers['accept-ranges'], 'bytes');
    assert.equal(whole.body.length, big.length);
    assert.equal(createHash('sha256').update(whole.body).digest('hex'), createHash('sha256').update(big).digest('hex'));

    const part = await get('/big.bin', { range: 'bytes=1000-1009' });
    assert.equal(part.status, 206);
    assert.equal(part.headers['content-range'], `bytes 1000-1009/${big.length}`);
    assert.deepEqual(part.body, big.subarray(1000, 1010));

    const tail = await get('/big.bin', { range: 'bytes=-4' });
    assert.deepEqual(tail.body, big.subarray(big.length - 4));

    const beyond = await get('/big.bin', { range: `bytes=${big.length}-` });
    assert.equal(beyond.status, 416);
    assert.equal(beyond.headers['content-range'], `bytes */${big.length}`);

    assert.equal((await get('/big.bin', { range: 'bytes=0-1,4-5' })).status, 200);
    assert.equal((await get('/big.bin', { range: 'bytes=0-1', 'if-range': '"another-version"' })).status, 200);
    assert.equal((await get('/big.bin', { range: 'bytes=0-1', 'if-range': String(whole.headers.etag) })).status, 206);
  });

  it('serves an empty file', async () => {
    const reply = await get('/empty.txt');
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['content-length'], '0');
    assert.equal(reply.body.length, 0);
  });

  it('survives a client that goes away mid-download', async () => {
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/big.bin' }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', (error) => ((error as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(error)));
      req.end();
    });
    assert.equal((await get('/docs/readme.txt')).text, 'read me');
  });

  it('a missing directory starts, answers 404 and serves its files once it exists (as Crossbar)', async () => {
    const config = testConfig();
    const later = join(base, 'not-yet');
    config.listeners[0]!.paths['/files'] = staticService(later);
    const started = await startTestNode(config);
    try {
      const port = started.ports.get('test')!;
      assert.equal((await send(port, '/files/a.txt')).status, 404);
      await mkdir(later);
      await writeFile(join(later, 'a.txt'), 'now here');
      assert.equal((await send(port, '/files/a.txt')).text, 'now here');
    } finally {
      await started.stop();
    }
  });

  it('fails start-up with the path service named when the directory is a file', async () => {
    const fileInstead = testConfig();
    fileInstead.listeners[0]!.paths['/files'] = staticService(join(root, 'app.js'));
    await assert.rejects(startTestNode(fileInstead), /is not a directory/);
  });
});
