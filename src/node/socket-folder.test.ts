import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { makeSocketFolder } from './socket-folder.js';

describe('makeSocketFolder', () => {
  const parents: string[] = [];
  after(() => Promise.all(parents.map((parent) => rm(parent, { recursive: true, force: true }))));

  it("makes a private folder named after its kind and this process, and removes those of processes that are gone, not a living one's", async () => {
    const parent = await mkdtemp(join(tmpdir(), 'junction-socket-folder-test-'));
    parents.push(parent);
    // A pid that is surely gone: a process that already exited.
    const gone = spawnSync(process.execPath, ['-e', '']).pid!;
    const orphan = join(parent, `junction-web-${gone}-abc123`);
    const living = join(parent, `junction-web-${process.ppid}-def456`);
    const otherKind = join(parent, `junction-components-${gone}-ghi789`);
    const unrelated = join(parent, `junction-web-notapid`);
    for (const folder of [orphan, living, otherKind, unrelated]) await mkdir(folder);

    const made = await makeSocketFolder('web', parent);
    assert.match(made, new RegExp(`/junction-web-${process.pid}-[^/]+$`));
    assert.equal((await stat(made)).mode & 0o777, 0o700);
    assert.equal(existsSync(orphan), false, "a gone process's folder is removed");
    assert.equal(existsSync(living), true, "a living process's folder stays");
    assert.equal(existsSync(otherKind), true, 'only folders of the same kind are looked at');
    assert.equal(existsSync(unrelated), true);
  });
});
