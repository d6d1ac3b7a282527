import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { GuestConfig } from '../../config/model.js';
import { MetricsRegistry } from '../../metrics/registry.js';
import type { Logger } from '../../router/log.js';
import { waitFor } from '../../../test/support/wait.js';
import { GuestWorkers, type GuestWorkersOptions } from './guest-workers.js';
import { guestLog } from './guest-texts.js';

const home = mkdtempSync(join(tmpdir(), 'junction-guests-'));
const supervisors: GuestWorkers[] = [];
// A test that failed before its own stop leaves guests running: they must not keep the file from ending.
after(async () => {
  await Promise.all(supervisors.map((guests) => guests.stop()));
  rmSync(home, { recursive: true, force: true });
});

interface Logged { level: string; fields: Record<string, unknown>; message: string }

function recorder(): { log: Logger; lines: Logged[] } {
  const lines: Logged[] = [];
  const logger = (bindings: object): Logger => {
    const at = (level: string) => (fields: object, message: string) => lines.push({ level, fields: { ...bindings, ...fields } as Record<string, unknown>, message });
    return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (more) => logger({ ...bindings, ...more }) };
  };
  return { log: logger({}), lines };
}

/** A guest running `node -e script`. */
function guest(id: string, script: string, patch: Partial<GuestConfig> = {}): GuestConfig {
  return {
    id, at: 'workers[1]', executable: process.execPath, arguments: ['-e', script], workdir: home, env: { inherit: true, vars: {} },
    stdin: { kind: 'open' }, stdout: 'log', stderr: 'log', maxLineBytes: 1000, linesPerSecond: 100, ...patch,
  };
}

function supervisor(stopGraceMs = 5_000, shutdown?: GuestWorkersOptions['shutdown']) {
  const { log, lines } = recorder();
  const metrics = new MetricsRegistry();
  const guests = new GuestWorkers({ log, metrics, stopGraceMs, ...(shutdown && { shutdown }) });
  supervisors.push(guests);
  const value = (name: string, labels: Record<string, string>) => metrics.exposition().split('\n')
    .find((line) => line.startsWith(`${name}{`) && Object.entries(labels).every(([key, item]) => line.includes(`${key}="${item}"`)))?.split(' ').at(-1);
  return { guests, lines, value, metrics };
}

const stayUp = 'console.log("up", process.pid); setInterval(() => {}, 1000)';

describe('the guest workers of a node', () => {
  it('report a guest that exits, as Crossbar does: logged with its code or signal, counted by outcome, not started again', async () => {
    const { guests, lines, value } = supervisor();
    await guests.apply([
      guest('fine', 'process.exit(0)'),
      guest('broken', 'console.error("no database"); process.exit(3)'),
      guest('crashed', 'process.kill(process.pid, "SIGKILL")'),
    ]);
    await waitFor(() => lines.filter((line) => line.message.includes('exited with')).length === 3, 'three exits');
    const exit = (id: string) => lines.find((line) => line.message.includes('exited with') && line.fields.guest === id)!;
    assert.deepEqual([exit('fine').level, exit('fine').message, exit('fine').fields.exitCode], ['info', guestLog.exitedCleanly, 0]);
    assert.deepEqual([exit('broken').level, exit('broken').message, exit('broken').fields.exitCode], ['error', guestLog.exitedWithError, 3]);
    assert.deepEqual([exit('crashed').level, exit('crashed').fields.signal], ['error', 'SIGKILL']);
    assert.ok(lines.some((line) => line.message === 'no database' && line.fields.stream === 'stderr' && line.fields.guest === 'broken'));
    assert.deepEqual([value('junction_guest_exits_total', { guest: 'fine', outcome: 'success' }), value('junction_guest_exits_total', { guest: 'broken', outcome: 'error' }),
      value('junction_guest_exits_total', { guest: 'crashed', outcome: 'signal' }), value('junction_guest_running', { guest: 'broken' })], ['1', '1', '1', '0']);
    await guests.stop();
    assert.equal(value('junction_guest_starts_total', { guest: 'broken' }), '1');
  });

  it('stop a guest with SIGTERM, and kill one that ignores it once the grace is over', async () => {
    const { guests, lines, value } = supervisor(300);
    await guests.apply([guest('polite', stayUp), guest('stubborn', `process.on("SIGTERM", () => console.log("ignored")); ${stayUp}`)]);
    await waitFor(() => lines.filter((line) => line.message.startsWith('up ')).length === 2, 'both guests up');
    await guests.stop();
    assert.equal(value('junction_guest_exits_total', { guest: 'polite', outcome: 'stopped' }), '1');
    assert.equal(value('junction_guest_exits_total', { guest: 'stubborn', outcome: 'killed' }), '1');
    assert.ok(lines.some((line) => line.message === guestLog.killed && line.fields.graceMs === 300));
    for (const line of lines.filter((entry) => entry.message.startsWith('up '))) {
      assert.throws(() => process.kill(Number(line.message.split(' ')[1]), 0), /ESRCH/, 'the guest is gone');
    }
  });

  it('follow the file at a reload: unchanged guests keep running, changed ones restart, removed ones stop, exited ones start again', async () => {
    const { guests, lines, value, metrics } = supervisor();
    await guests.apply([guest('same', stayUp), guest('changing', stayUp), guest('leaving', stayUp), guest('exited', 'process.exit(1)')]);
    await waitFor(() => lines.filter((line) => line.message.startsWith('up ')).length === 3 && value('junction_guest_running', { guest: 'exited' }) === '0', 'guests up, one exited');
    const changes = await guests.apply([guest('same', stayUp), guest('changing', `console.log("v2"); ${stayUp}`), guest('exited', 'process.exit(1)'), guest('new', stayUp)]);
    assert.deepEqual(changes.sort(), [
      'guest worker "changing" restarted (its block changed)',
      'guest worker "exited" started again (it was not running)',
      'guest worker "leaving" stopped (removed from the file)',
      'guest worker "new" started',
    ]);
    assert.deepEqual(['same', 'changing', 'exited', 'new'].map((id) => value('junction_guest_starts_total', { guest: id })), ['1', '2', '2', '1']);
    assert.ok(!metrics.exposition().includes('guest="leaving"'), 'the removed guest has no series left');
    assert.equal(value('junction_guest_running', { guest: 'same' }), '1', 'the others keep theirs');
    await guests.stop();
  });

  it('forget a removed guest for good: the lines its pipes deliver after it exited count no drops', async () => {
    const { guests, lines, metrics } = supervisor();
    // It leaves behind a shell that ignores SIGTERM and, once the guest is gone, writes far more
    // lines on the guest's stdout than linesPerSecond (100) lets through: most are dropped.
    // It waits for its own parent to change (it is handed on when the guest exits) rather than for
    // the guest's pid to vanish: in a full test run pids are reused within seconds (pid_max 32768).
    // It says so once its $PPID is read: were the guest gone before the shell started, $PPID would
    // already be the new parent and it would wait for good (a full suite's load once did that).
    const late = 'trap "" TERM; echo shell-up; while [ "$(cut -d " " -f4 /proc/$$/stat)" = "$PPID" ]; do sleep 0.05; done; seq 1000';
    const leaver = `require("node:child_process").spawn("sh", ["-c", ${JSON.stringify(late)}], { stdio: ["ignore", "inherit", "inherit"] }); process.on("SIGTERM", () => process.exit(0)); console.log("up"); setInterval(() => {}, 1000)`;
    await guests.apply([guest('leaver', leaver)]);
    await waitFor(() => lines.some((line) => line.message === 'up') && lines.some((line) => line.message === 'shell-up'), 'the guest and its shell are up');
    await guests.apply([]);
    await waitFor(() => lines.some((line) => line.message.startsWith(guestLog.rateExceeded)), 'lines were dropped', 10_000);
    assert.ok(!metrics.exposition().includes('guest="leaver"'), metrics.exposition());
  });

  it('stop the node once when a guest ends by itself, not when Junction stops one (a watch restart, a reload)', async () => {
    let stops = 0;
    const { guests, lines, value } = supervisor(5_000, { triggers: ['shutdown_on_worker_exit'], stopNode: () => (stops += 1) });
    const watched = mkdtempSync(join(home, 'src-'));
    await guests.apply([guest('watched', stayUp, { watch: { directories: [watched], restart: true, delayMs: 50 } }), guest('leaving', stayUp)]);
    await waitFor(() => lines.filter((line) => line.message.startsWith('up ')).length === 2, 'both guests up');
    writeFileSync(join(watched, 'changed.js'), '1');
    await waitFor(() => value('junction_guest_starts_total', { guest: 'watched' }) === '2', 'the watched guest restarted');
    await guests.apply([guest('watched', stayUp, { watch: { directories: [watched], restart: true, delayMs: 50 } }), guest('ending', 'setTimeout(() => process.exit(0), 200)')]);
    await waitFor(() => stops > 0, 'the node asked to stop');
    const fired = lines.filter((line) => line.message === guestLog.nodeShutdown);
    assert.deepEqual(fired.map((line) => [line.level, line.fields.guest, line.fields.exitCode, line.fields.trigger]), [['warn', 'ending', 0, 'shutdown_on_worker_exit']]);
    await guests.stop();
    assert.equal(stops, 1);
  });

  it('change nothing when one guest\'s program cannot be found', async () => {
    const { guests, value } = supervisor();
    await guests.apply([guest('kept', stayUp)]);
    await assert.rejects(guests.apply([guest('gone', stayUp, { executable: 'no-such-program-here' })]), /workers\[1\]\.executable: guest "gone": "no-such-program-here" was not found/);
    assert.equal(value('junction_guest_running', { guest: 'kept' }), '1');
    await guests.stop();
  });

  it('write stdin as configured and restart a guest when a watched folder changes', async () => {
    const { guests, lines, value } = supervisor();
    const watched = mkdtempSync(join(home, 'src-'));
    const echo = 'let text = ""; process.stdin.on("data", (d) => (text += d)); process.stdin.on("end", () => { console.log("stdin " + text); setInterval(() => {}, 1000); })';
    await guests.apply([guest('watcher', echo, { stdin: { kind: 'json', text: '{"realm":"realm1"}', close: true }, watch: { directories: [watched], restart: true, delayMs: 50 } })]);
    await waitFor(() => lines.some((line) => line.message === 'stdin {"realm":"realm1"}'), 'the guest read its stdin');
    writeFileSync(join(watched, 'changed.js'), '1');
    await waitFor(() => value('junction_guest_starts_total', { guest: 'watcher' }) === '2', 'the guest restarted');
    assert.ok(lines.some((line) => line.message === guestLog.watchRestart && line.fields.file === 'changed.js'));
    assert.equal(value('junction_guest_exits_total', { guest: 'watcher', outcome: 'stopped' }), '1');
    await waitFor(() => lines.filter((line) => line.message === 'stdin {"realm":"realm1"}').length === 2, 'the restarted guest read its stdin');
    await guests.stop();
  });
});
