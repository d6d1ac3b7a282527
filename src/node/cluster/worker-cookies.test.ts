import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { clearWorkerCookies, removeWorkerCookies } from './worker-cookies.js';

const folder = mkdtempSync(join(tmpdir(), 'junction-worker-cookies-'));
after(() => rmSync(folder, { recursive: true, force: true }));

/** A parent's store folder with one file in it. */
function storeOf(dataDir: string, name: string): string {
  const path = join(dataDir, 'worker-cookies', name, 'transport_web_path_ws');
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, 'data.mdb'), 'x');
  return path;
}

describe('the --workers parents\' memory cookie stores under one data folder', () => {
  it('a parent starting clears its own folder and those of its host\'s parents gone, never a running parent\'s nor another host\'s', () => {
    const dataDir = join(folder, 'a');
    const running = storeOf(dataDir, 'box-1001');
    const gone = storeOf(dataDir, 'box-1002');
    const own = storeOf(dataDir, 'box-1003');
    const otherHost = storeOf(dataDir, 'other-box-1002');
    const olderLayout = join(dataDir, 'worker-cookies', 'transport_web_path_ws');
    mkdirSync(olderLayout);
    clearWorkerCookies(dataDir, { host: 'box', pid: 1003, runs: (pid) => pid === 1001 });
    assert.ok(existsSync(join(running, 'data.mdb')), 'the other running parent keeps its bound cookies');
    assert.ok(existsSync(join(otherHost, 'data.mdb')), 'another host\'s parent (a container on the same volume) keeps its own');
    assert.equal(existsSync(gone), false);
    assert.equal(existsSync(own), false);
    assert.equal(existsSync(olderLayout), false);
  });

  it('a parent stopping removes its own folder only', () => {
    const dataDir = join(folder, 'b');
    const other = storeOf(dataDir, 'box-2001');
    const own = storeOf(dataDir, 'box-2002');
    removeWorkerCookies(dataDir, { host: 'box', pid: 2002 });
    assert.equal(existsSync(own), false);
    assert.ok(existsSync(other));
  });

  it('no folder yet: nothing to clear', () => {
    assert.doesNotThrow(() => clearWorkerCookies(join(folder, 'none')));
  });
});
