import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, beforeEach, describe, it } from 'node:test';
import { silentLogger, type Logger } from '../../../router/log.js';
import { acquireOutboxLock, lockFileName, OutboxInUseError, parseOwner } from './outbox-lock.js';

const root = mkdtempSync(join(tmpdir(), 'junction-outbox-lock-'));
after(() => rmSync(root, { recursive: true, force: true }));

let counter = 0;
let directory: string;
let file: string;
beforeEach(() => {
  directory = join(root, `box${++counter}`);
  file = join(directory, lockFileName);
});

/** Writes a lock file as another process would have left it. */
function leaveLock(content: string): void {
  mkdirSync(directory, { recursive: true });
  writeFileSync(file, content);
}

function ownerOnDisk() {
  return parseOwner(readFileSync(file, 'utf8'));
}

/** A logger that keeps its warnings. */
function recordingLog(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { ...silentLogger, warn: (_fields, message) => warnings.push(message), warnings };
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  assert.ok(child.pid !== undefined && child.pid > 0);
  return child.pid;
}

describe('outbox lock', () => {
  it('creates the folder and a LOCK naming this process, and removes it at release', () => {
    const lock = acquireOutboxLock(directory, 'forwarder "news"', silentLogger);
    const owner = ownerOnDisk();
    assert.equal(owner?.pid, process.pid);
    assert.equal(owner?.hostname, hostname());
    assert.ok(!Number.isNaN(Date.parse(owner!.started)));
    lock.release();
    assert.equal(existsSync(file), false);
    lock.release(); // twice is harmless
  });

  it('refuses a folder whose lock names a live process on this host, and leaves that lock alone', () => {
    const content = JSON.stringify({ pid: process.ppid, hostname: hostname(), started: '2024-05-01T10:00:00.000Z' });
    leaveLock(content);
    assert.throws(
      () => acquireOutboxLock(directory, 'forwarder "news"', silentLogger),
      (error: Error) => {
        assert.ok(error instanceof OutboxInUseError);
        assert.match(error.message, /^forwarder "news": its outbox /);
        assert.ok(error.message.includes(directory), error.message);
        assert.ok(error.message.includes(`pid ${process.ppid}`), error.message);
        assert.ok(error.message.includes('--data-dir'), error.message);
        return true;
      },
    );
    assert.equal(readFileSync(file, 'utf8'), content);
  });

  it('refuses a second lock in the same process until the first is released', () => {
    const first = acquireOutboxLock(directory, 'forwarder "news"', silentLogger);
    assert.throws(() => acquireOutboxLock(directory, 'forwarder "news"', silentLogger), /another node in this process/);
    first.release();
    const second = acquireOutboxLock(directory, 'forwarder "news"', silentLogger);
    assert.equal(ownerOnDisk()?.pid, process.pid);
    second.release();
  });

  it('takes over the lock of a process that no longer runs, with a warning', () => {
    const pid = deadPid();
    leaveLock(JSON.stringify({ pid, hostname: hostname(), started: '2024-05-01T10:00:00.000Z' }));
    const log = recordingLog();
    const lock = acquireOutboxLock(directory, 'forwarder "news"', log);
    assert.equal(ownerOnDisk()?.pid, process.pid);
    assert.equal(log.warnings.length, 1);
    assert.match(log.warnings[0]!, new RegExp(`forwarder "news": taking over the outbox lock of pid ${pid}`));
    lock.release();
  });

  it('takes over the lock of a pid no process can have (as a pid file naming it is), rather than refusing to start for good', () => {
    // Past any system's pid range: process.kill refuses it as an argument, neither ESRCH nor EPERM.
    leaveLock(JSON.stringify({ pid: 2 ** 32, hostname: hostname(), started: '2024-05-01T10:00:00.000Z' }));
    const log = recordingLog();
    const lock = acquireOutboxLock(directory, 'forwarder "news"', log);
    assert.equal(ownerOnDisk()?.pid, process.pid);
    assert.match(log.warnings[0]!, /taking over the outbox lock of pid 4294967296, which no longer runs/);
    lock.release();
  });

  it('takes over a lock naming its own pid that it does not hold (an earlier process with the same pid)', () => {
    leaveLock(JSON.stringify({ pid: process.pid, hostname: hostname(), started: '2024-05-01T10:00:00.000Z' }));
    const log = recordingLog();
    const lock = acquireOutboxLock(directory, 'forwarder "news"', log);
    assert.equal(log.warnings.length, 1);
    assert.notEqual(ownerOnDisk()?.started, '2024-05-01T10:00:00.000Z');
    lock.release();
  });

  for (const [name, content] of [['empty', ''], ['cut off', '{"pid":12'], ['not an owner', '{"pid":-1,"hostname":"h","started":"x"}'], ['not JSON', '\u0000\u0000']] as const) {
    it(`treats a ${name} lock file as stale (a crash between create and write)`, () => {
      leaveLock(content);
      const log = recordingLog();
      const lock = acquireOutboxLock(directory, 'forwarder "news"', log);
      assert.equal(ownerOnDisk()?.pid, process.pid);
      assert.match(log.warnings.join('\n'), /empty or unreadable/);
      lock.release();
    });
  }

  it('refuses a lock from another host (it cannot be checked) and says how to clear it', () => {
    leaveLock(JSON.stringify({ pid: 4242, hostname: `not-${hostname()}`, started: '2024-05-01T10:00:00.000Z' }));
    assert.throws(
      () => acquireOutboxLock(directory, 'forwarder "news"', silentLogger),
      (error: Error) => error instanceof OutboxInUseError && error.message.includes(`delete ${file}`) && error.message.includes('--data-dir'),
    );
  });

  it('does not remove at release a lock that is no longer its own', () => {
    const lock = acquireOutboxLock(directory, 'forwarder "news"', silentLogger);
    const other = JSON.stringify({ pid: process.ppid, hostname: hostname(), started: '2024-05-01T10:00:00.000Z' });
    writeFileSync(file, other);
    lock.release();
    assert.equal(readFileSync(file, 'utf8'), other);
  });
});
