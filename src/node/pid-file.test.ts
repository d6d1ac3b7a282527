import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readPidFile, removePidFile, writePidFile } from './pid-file.js';

let dir: string;
before(async () => (dir = await mkdtemp(join(tmpdir(), 'junction-pid-'))));
after(() => rm(dir, { recursive: true, force: true }));

describe('pid file', () => {
  it('is written with this process id, never over a running process\'s, and removed only while it is ours', async () => {
    const path = join(dir, 'node.pid');
    await writePidFile(path);
    assert.equal(await readPidFile(path), process.pid);

    await writeFile(path, `${process.ppid}\n`);
    await assert.rejects(writePidFile(path), /names process \d+, which is running/);
    await removePidFile(path);
    assert.equal(await readPidFile(path), process.ppid, 'another process\'s pid file is left alone');

    await writeFile(path, '2147483646\n'); // no such process: stale
    await writePidFile(path);
    await removePidFile(path);
    assert.equal(await readPidFile(path), undefined);
  });
});
