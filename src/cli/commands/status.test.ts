import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { captureIo } from '../../../test/support/cli.js';
import { standInJunction } from '../../../test/support/stand-in-junction.js';
import { run as status } from './status.js';

let dir: string;
before(async () => (dir = await mkdtemp(join(tmpdir(), 'junction-status-'))));
after(() => rm(dir, { recursive: true, force: true }));

async function statusOf(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { out, io } = captureIo();
  const code = await status(argv, io);
  return { code, ...out };
}

describe('junction status', () => {
  it('says running with the pid, and stopped otherwise; --assert fails with exit code 69 (as Crossbar)', async () => {
    const node = await standInJunction();
    try {
      await writeFile(join(dir, 'node.pid'), JSON.stringify({ pid: node.pid }));
      const running = await statusOf([`--cbdir=${dir}`]);
      assert.deepEqual(running, { code: 0, stdout: `running (PID ${node.pid}) from node directory ${dir}\n`, stderr: '' });
      assert.equal((await statusOf(['--cbdir', dir, '--assert', 'running'])).code, 0);
      const wrong = await statusOf(['--cbdir', dir, '--assert=stopped']);
      assert.equal(wrong.code, 69);
      assert.equal(wrong.stderr, 'junction status: --assert stopped failed: the node is running\n');
    } finally {
      node.kill('SIGKILL');
    }
    const absent = await statusOf(['--pid-file', join(dir, 'none.pid'), '--assert', 'stopped']);
    assert.deepEqual(absent, { code: 0, stdout: `stopped: no node is running with pid file ${join(dir, 'none.pid')}\n`, stderr: '' });
    const wrong = await statusOf(['--pid-file', join(dir, 'none.pid'), '--assert', 'running']);
    assert.equal(wrong.code, 69);
    assert.equal(wrong.stderr, 'junction status: --assert running failed: the node is stopped\n');
  });

  it('a pid file whose process has ended says stopped, and why', async () => {
    await writeFile(join(dir, 'stale.pid'), '2147483646\n');
    const stale = await statusOf(['--pid-file', join(dir, 'stale.pid')]);
    assert.deepEqual(stale, { code: 0, stdout: `stopped: no node is running with pid file ${join(dir, 'stale.pid')} (its pid file names process 2147483646, which has ended)\n`, stderr: '' });
  });

  it('says why when the pid file cannot be read (exit 1)', async () => {
    await mkdir(join(dir, 'folder.pid'));
    const unreadable = await statusOf(['--pid-file', join(dir, 'folder.pid')]);
    assert.deepEqual(unreadable, { code: 1, stdout: '', stderr: `junction status: cannot read ${join(dir, 'folder.pid')}: EISDIR\n` });
  });

  it('refuses an --assert that is neither running nor stopped, and a folder given without --cbdir (exit 2)', async () => {
    const bad = await statusOf(['--assert', 'up']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^junction status: --assert must be running or stopped, got "up"\n\nUsage: junction status/);
    const bare = await statusOf(['.crossbar']);
    assert.equal(bare.code, 2);
    assert.match(bare.stderr, /^junction status: Unexpected argument '\.crossbar'.* \(did you mean --cbdir \.crossbar\?\)\n/);
  });
});
