import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, openRouterConfig, RunningJunction, runJunction } from '../support/cli.js';
import { writeZip, zipWriterMissing } from '../support/zip.js';

/**
 * `--workers 2` and an `archive` path whose file is to be downloaded: the node downloads it once
 * (the parent, before it forks), not once per worker, and a failed download stops the start with
 * the error a single process gives.
 */

const home = mkdtempSync(join(tmpdir(), 'junction-workers-archive-'));
const running: RunningJunction[] = [];
/** Requests the origin received, by path. */
const requests: string[] = [];
/**
 * Answers to /app.zip are held until a second one is asked for, or for `holdMs` after the first:
 * workers that each download would all ask while the first download is under way (they start
 * together), not one after the other finished.
 */
const held: ServerResponse[] = [];
const holdMs = 5_000;
const release = (): void => held.splice(0).forEach((response) => response.writeHead(200, { 'content-type': 'application/zip' }).end(zipBytes));
function hold(response: ServerResponse): void {
  held.push(response);
  if (held.length === 1) setTimeout(release, holdMs);
  else release();
}
let origin: Server;
let originUrl: string;
let zipBytes: Buffer;

before(async () => {
  writeZip(join(home, 'origin.zip'), [{ name: 'index.html', data: '<h1>once</h1>' }]);
  zipBytes = readFileSync(join(home, 'origin.zip'));
  origin = createServer((request, response) => {
    requests.push(request.url ?? '');
    if (request.url === '/app.zip') hold(response);
    else response.writeHead(404).end('no such file');
  });
  await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
  originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
});

after(async () => {
  running.forEach((junction) => junction.kill());
  await new Promise((resolve) => origin.close(resolve));
  rmSync(home, { recursive: true, force: true });
});

function configFile(name: string, archive: string, from: string): string {
  const sha256 = createHash('sha256').update(zipBytes).digest('hex');
  const config = openRouterConfig({
    ws: { type: 'websocket' },
    app: { type: 'archive', archive, origin: `${originUrl}${from}`, download: true, hashes: [sha256], default_object: 'index.html' },
  });
  const path = join(home, name);
  writeFileSync(path, JSON.stringify(config));
  return path;
}

describe('junction start --workers 2 with an archive to download', { timeout: 120_000, skip: zipWriterMissing() }, () => {
  it('fetches the archive once for the node, and every worker serves it', async () => {
    requests.length = 0;
    const archive = join(home, 'app.zip');
    const port = await freePort();
    const junction = RunningJunction.start(['--config', configFile('ok.json', archive, '/app.zip'), '--port', String(port), '--workers', '2', '--data-dir', join(home, 'data')]);
    running.push(junction);
    for (const node of ['w1', 'w2']) await junction.started((line) => line.msg === 'worker serving' && line.node === node);
    assert.deepEqual(requests, ['/app.zip']);
    assert.deepEqual(readFileSync(archive), zipBytes);
    assert.equal(await (await fetch(`http://127.0.0.1:${port}/app/`)).text(), '<h1>once</h1>');
    assert.equal(requests.length, 1);
  });

  it('fetches once for the node the archive of a path a reload adds', async () => {
    const archive = join(home, 'added.zip');
    const config = join(home, 'reload.json');
    writeFileSync(config, JSON.stringify(openRouterConfig({ ws: { type: 'websocket' } })));
    const port = await freePort();
    const junction = RunningJunction.start(['--config', config, '--port', String(port), '--workers', '2', '--data-dir', join(home, 'data-reload')]);
    running.push(junction);
    for (const node of ['w1', 'w2']) await junction.started((line) => line.msg === 'worker serving' && line.node === node);
    requests.length = 0;
    configFile('reload.json', archive, '/app.zip');
    junction.child.kill('SIGHUP');
    for (const node of ['w1', 'w2']) await junction.started((line) => /^reload: 1 change applied/.test(line.msg) && line.node === node);
    assert.deepEqual(requests, ['/app.zip']);
    assert.equal(await (await fetch(`http://127.0.0.1:${port}/app/`)).text(), '<h1>once</h1>');
  });

  it('a failed download stops the start with the error one process gives, asked once', async () => {
    requests.length = 0;
    const archive = join(home, 'absent.zip');
    const result = await runJunction(['start', '--config', configFile('gone.json', archive, '/gone.zip'), '--port', String(await freePort()), '--workers', '2', '--data-dir', join(home, 'data-gone')]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^junction start: cannot start: transport "[^"]+" path "\/app": the archive could not be downloaded from http:\/\/127\.0\.0\.1:\d+\/gone\.zip \(the origin answered HTTP 404\) \[archive_unusable\]\n$/);
    assert.deepEqual(requests, ['/gone.zip']);
    assert.equal(existsSync(archive), false);
    assert.deepEqual(readdirSync(home).filter((name) => name.includes('.download-')), []);
  });
});
