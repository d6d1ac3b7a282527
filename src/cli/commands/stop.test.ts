import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { captureIo } from '../../../test/support/cli.js';
import { standInJunction } from '../../../test/support/stand-in-junction.js';
import { run as stop, stopWaits } from './stop.js';

let dir: string;
before(async () => (dir = await mkdtemp(join(tmpdir(), 'junction-stop-'))));
after(() => rm(dir, { recursive: true, force: true }));

async function stopOf(argv: string[], waits = stopWaits): Promise<{ code: number; stdout: string; stderr: string }> {
  const { out, io } = captureIo();
  const code = await stop(argv, io, waits);
  return { code, ...out };
}

describe('junction stop', () => {
  it('sends SIGTERM to the node of --cbdir and waits for it to end (exit 0)', async () => {
    const node = await standInJunction();
    const exited = once(node, 'exit');
    await writeFile(join(dir, 'node.pid'), JSON.stringify({ pid: node.pid }));
    const stopped = await stopOf(['--cbdir', dir]);
    assert.deepEqual(stopped, {
      code: 0,
      stdout: `stopping the node running from node directory ${dir} (PID ${node.pid}): SIGTERM sent, waiting up to 30 s\nprocess ${node.pid} has ended\n`,
      stderr: '',
    });
    assert.deepEqual(await exited, [0, null]);
  });

  it('kills a node still running when the wait is over, and says so', async () => {
    const node = await standInJunction({ ignoreTerm: true });
    const exited = once(node, 'exit');
    await writeFile(join(dir, 'stuck.pid'), `${node.pid}\n`);
    const stopped = await stopOf([`--pid-file=${join(dir, 'stuck.pid')}`], { afterTermMs: 300, afterKillMs: 5_000 });
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stdout, new RegExp(`SIGTERM sent, waiting up to 0\\.3 s\\nprocess ${node.pid} still runs after 0\\.3 s: SIGKILL sent\\nprocess ${node.pid} was killed\\n$`));
    assert.deepEqual(await exited, [null, 'SIGKILL']);
  });

  it('says no node runs there, with exit code 69 (as Crossbar), when the pid file is missing, names an ended process or another program', async () => {
    const missing = await stopOf(['--pid-file', join(dir, 'none.pid')]);
    assert.deepEqual(missing, { code: 69, stdout: '', stderr: `junction stop: no node is running with pid file ${join(dir, 'none.pid')}\n` });
    await writeFile(join(dir, 'stale.pid'), '2147483646\n');
    const stale = await stopOf(['--pid-file', join(dir, 'stale.pid')]);
    assert.equal(stale.code, 69);
    assert.match(stale.stderr, /\(its pid file names process 2147483646, which has ended\)\n$/);
    if (process.platform !== 'linux') return;
    const program = await standInJunction({ name: 'some-other-daemon' });
    try {
      await writeFile(join(dir, 'reused.pid'), `${program.pid}\n`);
      const reused = await stopOf(['--pid-file', join(dir, 'reused.pid')]);
      assert.equal(reused.code, 69);
      assert.match(reused.stderr, new RegExp(`\\(its pid file names process ${program.pid}, which is not Junction\\)\\n$`));
      assert.equal(program.exitCode, null, 'another program is never signalled');
    } finally {
      program.kill('SIGKILL');
    }
  });

  it('refuses --cbdir with --pid-file, and a folder given without --cbdir (exit 2)', async () => {
    const both = await stopOf(['--cbdir', dir, '--pid-file', join(dir, 'x.pid')]);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /^junction stop: give --cbdir or --pid-file, not both\n\nUsage: junction stop/);
    const bare = await stopOf(['.crossbar']);
    assert.match(bare.stderr, /^junction stop: Unexpected argument '\.crossbar'.* \(did you mean --cbdir \.crossbar\?\)\n/);
  });
});
