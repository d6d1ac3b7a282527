import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetricsRegistry } from '../../metrics/registry.js';
import type { Logger } from '../../router/log.js';
import { GuestOutput } from './guest-output.js';
import { guestLog } from './guest-texts.js';

interface Logged { level: string; fields: Record<string, unknown>; message: string }

function recorder(): { log: Logger; lines: Logged[] } {
  const lines: Logged[] = [];
  const at = (level: string) => (fields: object, message: string) => lines.push({ level, fields: fields as Record<string, unknown>, message });
  const log: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => log };
  return { log, lines };
}

function setup(limits: { maxLineBytes: number; linesPerSecond: number }, mask: (text: string) => string = (text) => text) {
  const { log, lines } = recorder();
  const metrics = new MetricsRegistry();
  const dropped = metrics.counter('dropped', 'test');
  let now = 1_000_000;
  const output = new GuestOutput(log, limits, { droppedTooLong: dropped.bind({ reason: 'too_long' }), droppedRate: dropped.bind({ reason: 'rate' }) }, mask, () => now);
  return { output, lines, dropped, advance: (ms: number) => (now += ms) };
}

describe('a guest\'s output in the log', () => {
  it('logs each non-blank line of each stream, split across chunks, secrets masked', () => {
    const { output, lines } = setup({ maxLineBytes: 100, linesPerSecond: 10 }, (text) => text.replaceAll('s3cret', '*****'));
    const stdout = output.stream('stdout');
    stdout.push(Buffer.from('hello wo'));
    stdout.push(Buffer.from('rld\r\n\n   \npassword s3cret\n'));
    output.stream('stderr').push(Buffer.from('oops\n'));
    assert.deepEqual(lines.map((line) => [line.level, line.fields.stream, line.message]), [
      ['info', 'stdout', 'hello world'], ['info', 'stdout', 'password *****'], ['info', 'stderr', 'oops'],
    ]);
  });

  it('does not log a line longer than max_line_bytes: counts it and warns once per 10 s with its length', () => {
    const { output, lines, dropped, advance } = setup({ maxLineBytes: 10, linesPerSecond: 10 });
    const stdout = output.stream('stdout');
    stdout.push(Buffer.from(`${'x'.repeat(25)}\nshort\n${'y'.repeat(30)}\n`));
    assert.equal(dropped.value({ reason: 'too_long' }), 2);
    assert.deepEqual(lines.map((line) => line.message), [`${guestLog.lineTooLong} (more like it are not logged for 10 s)`, 'short']);
    assert.equal(lines[0]!.fields.bytes, 25);
    advance(10_000);
    stdout.push(Buffer.from(`${'z'.repeat(11)}\n`));
    assert.equal(lines.at(-1)!.fields.notLogged, 1);
  });

  it('logs at most log_lines_per_second lines a second (a burst of as many), the rest counted and warned', () => {
    const { output, lines, dropped, advance } = setup({ maxLineBytes: 100, linesPerSecond: 3 });
    const stderr = output.stream('stderr');
    stderr.push(Buffer.from('1\n2\n3\n4\n5\n'));
    assert.deepEqual(lines.map((line) => line.message), ['1', '2', '3', `${guestLog.rateExceeded} (more like it are not logged for 10 s)`]);
    assert.equal(dropped.value({ reason: 'rate' }), 2);
    advance(1_000);
    stderr.push(Buffer.from('6\n7\n8\n9\n'));
    assert.deepEqual(lines.slice(4).map((line) => line.message), ['6', '7', '8']);
    assert.equal(dropped.value({ reason: 'rate' }), 3);
  });
});
