import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import type { Logger } from '../../../router/log.js';
import type { SendOutcome } from './delivery.js';
import { Outbox, storedBytes } from './outbox.js';
import { DeliveryQueues, type QueueSettings, type Sender } from './queues.js';
import { waitFor } from '../../../../test/support/wait.js';

const root = mkdtempSync(join(tmpdir(), 'junction-queues-'));
after(() => rmSync(root, { recursive: true, force: true }));

interface Call {
  url: string;
  headers: Record<string, string>;
  body: string;
  answer(outcome: SendOutcome): void;
}

/** A sender whose every request waits until the test answers it (or `auto` answers at once). */
class ScriptedSender implements Sender {
  readonly calls: Call[] = [];
  open = 0;
  maxOpen = 0;
  auto?: (call: Omit<Call, 'answer'>) => SendOutcome;

  send(url: string, headers: Record<string, string>, body: string, stop: AbortSignal): Promise<SendOutcome> {
    this.open += 1;
    this.maxOpen = Math.max(this.maxOpen, this.open);
    return new Promise((resolve) => {
      const interrupt = () => finish({ kind: 'interrupted' });
      let finished = false;
      const finish = (outcome: SendOutcome) => {
        if (finished) return;
        finished = true;
        stop.removeEventListener('abort', interrupt);
        this.open -= 1;
        resolve(outcome);
      };
      stop.addEventListener('abort', interrupt, { once: true });
      const call = { url, headers, body, answer: finish };
      this.calls.push(call);
      if (this.auto) finish(this.auto(call));
    });
  }

  bodies(url?: string): number[] {
    return this.calls.filter((call) => url === undefined || call.url === url).map((call) => JSON.parse(call.body).args[0]);
  }
}

function counter() {
  return { count: 0, inc(by = 1) { this.count += by; } };
}

function capturingLogger(lines: { level: string; fields: object; message: string }[]): Logger {
  const logger: Logger = {
    debug: () => {},
    info: (fields, message) => lines.push({ level: 'info', fields, message }),
    warn: (fields, message) => lines.push({ level: 'warn', fields, message }),
    error: (fields, message) => lines.push({ level: 'error', fields, message }),
    child: () => logger,
  };
  return logger;
}

const event = (url: string, topic: string, n: number) => ({ url, topic, publication: n, body: JSON.stringify({ args: [n], kwargs: {} }) });

describe('DeliveryQueues', () => {
  let dir: number = 0;
  let outbox: Outbox;
  let sender: ScriptedSender;
  let queues: DeliveryQueues;
  let logs: { level: string; fields: object; message: string }[];
  let metrics: ReturnType<typeof makeMetrics>;
  let reportedBytes = 0;

  function makeMetrics() {
    let pending = 0;
    return { delivered: counter(), retried: counter(), deadLettered: counter(), refused: counter(), pending: { set: (value: number) => (pending = value) }, pendingNow: () => pending };
  }

  function start(settings: Partial<QueueSettings> = {}, now?: () => number): DeliveryQueues {
    queues = new DeliveryQueues(
      { headers: {}, retry: { initialDelayMs: 1, maxDelayMs: 4, maxAttempts: 3 }, outboxLimit: 1_000, outboxLimitBytes: 1_000_000, concurrencyPerUrl: 4, ...settings },
      { outbox, sender, log: capturingLogger(logs), metrics, random: () => 0, ...(now ? { now } : {}) },
    );
    queues.resume();
    return queues;
  }

  beforeEach(() => {
    outbox = new Outbox(join(root, `q${++dir}`), { deadLetterLimit: 100, onBytesChanged: (bytes) => (reportedBytes = bytes) });
    sender = new ScriptedSender();
    logs = [];
    metrics = makeMetrics();
  });
  afterEach(async () => {
    await queues.stop(0);
    await outbox.close();
  });

  it('delivers each queue in order, one at a time, and empties the outbox', async () => {
    sender.auto = () => ({ kind: 'delivered', status: 200 });
    start();
    for (let n = 1; n <= 20; n++) queues.accept(event('http://app/a', n % 2 ? 'odd' : 'even', n));
    await waitFor(() => metrics.delivered.count === 20, 'all delivered');
    assert.deepEqual(sender.bodies().filter((n) => n % 2), [1, 3, 5, 7, 9, 11, 13, 15, 17, 19]);
    assert.deepEqual(sender.bodies().filter((n) => n % 2 === 0), [2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
    assert.equal(metrics.pendingNow(), 0);
    assert.deepEqual(outbox.load(), []);
  });

  it('tells the age of the oldest message waiting, across queues, and 0 once none waits', async () => {
    let clock = 1_000_000;
    start({}, () => clock);
    assert.equal(queues.oldestAgeMs(), 0);
    queues.accept(event('http://app', 'first', 1));
    clock += 500;
    queues.accept(event('http://other', 'second', 2));
    await waitFor(() => sender.calls.length === 2, 'both heads sent');
    clock += 250;
    assert.equal(queues.oldestAgeMs(), 750);
    sender.calls.find((call) => call.headers['x-junction-topic'] === 'first')!.answer({ kind: 'delivered', status: 200 });
    await waitFor(() => metrics.delivered.count === 1, 'the first delivered');
    assert.equal(queues.oldestAgeMs(), 250);
    sender.calls.find((call) => call.headers['x-junction-topic'] === 'second')!.answer({ kind: 'delivered', status: 200 });
    await waitFor(() => metrics.delivered.count === 2, 'both delivered');
    assert.equal(queues.oldestAgeMs(), 0);
  });

  it('holds a failing head, retries it with the attempt number, and keeps the other topic going', async () => {
    start();
    queues.accept(event('http://app', 'stuck', 1));
    queues.accept(event('http://app', 'stuck', 2));
    queues.accept(event('http://app', 'free', 3));
    await waitFor(() => sender.calls.length === 2, 'both heads sent');
    const stuck = sender.calls.find((call) => call.headers['x-junction-topic'] === 'stuck')!;
    const free = sender.calls.find((call) => call.headers['x-junction-topic'] === 'free')!;
    free.answer({ kind: 'delivered', status: 200 });
    stuck.answer({ kind: 'failed', error: 'HTTP 500' });
    await waitFor(() => sender.calls.length === 3, 'the retry');
    const retry = sender.calls[2]!;
    assert.equal(JSON.parse(retry.body).args[0], 1, 'the same head again, not the next message');
    assert.equal(retry.headers['x-junction-delivery-attempt'], '2');
    assert.equal(metrics.retried.count, 1);
    assert.ok(logs.some((line) => line.level === 'warn' && (line.fields as { publication?: number }).publication === 1));
    retry.answer({ kind: 'delivered', status: 200 });
    await waitFor(() => sender.calls.length === 4, 'the next message');
    assert.equal(JSON.parse(sender.calls[3]!.body).args[0], 2);
    sender.calls[3]!.answer({ kind: 'delivered', status: 200 });
    await waitFor(() => metrics.delivered.count === 3, 'all delivered');
  });

  it('logs a webhook URL without its user name, password or query values, and sends it whole', async () => {
    const url = 'https://hook:pw-Xy9@app.example/in?key=SECRET-k3y';
    sender.auto = () => ({ kind: 'failed', error: 'HTTP 500' });
    start({ retry: { initialDelayMs: 1, maxDelayMs: 2, maxAttempts: 2 } });
    queues.accept(event(url, 't', 1));
    await waitFor(() => metrics.deadLettered.count === 1, 'dead-lettered');
    assert.deepEqual(sender.calls.map((call) => call.url), [url, url]);
    const lines = JSON.stringify(logs);
    assert.deepEqual(logs.map((line) => [line.level, (line.fields as { url?: string }).url]),
      [['warn', 'https://*****@app.example/in?key=*****'], ['error', 'https://*****@app.example/in?key=*****']]);
    assert.ok(!lines.includes('SECRET') && !lines.includes('pw-Xy9'), lines);
    sender.auto = () => ({ kind: 'delivered', status: 200 });
    queues.accept(event('http://app', 't', 2));
    queues.accept(event('http://app', 't', 3));
  });

  it('dead-letters a message after maxAttempts, logs it, and goes on with the next', async () => {
    sender.auto = (call) => (JSON.parse(call.body).args[0] === 1 ? { kind: 'failed', error: 'HTTP 410 (expected a 2xx status)' } : { kind: 'delivered', status: 200 });
    start({ retry: { initialDelayMs: 1, maxDelayMs: 2, maxAttempts: 3 } });
    queues.accept(event('http://app', 't', 1));
    queues.accept(event('http://app', 't', 2));
    await waitFor(() => metrics.delivered.count === 1, 'the second delivered');
    assert.deepEqual(sender.bodies(), [1, 1, 1, 2]);
    assert.equal(metrics.deadLettered.count, 1);
    const [letter] = outbox.deadLetters(10);
    assert.equal(letter!.publication, 1);
    assert.equal(letter!.attempts, 3);
    assert.equal(letter!.lastError, 'HTTP 410 (expected a 2xx status)');
    const logged = logs.find((line) => line.level === 'error');
    assert.deepEqual(logged?.fields, { url: 'http://app', topic: 't', publication: 1, attempts: 3, lastError: 'HTTP 410 (expected a 2xx status)', deadLetter: letter!.id });

    sender.auto = () => ({ kind: 'delivered', status: 200 });
    assert.equal(queues.retryDeadLetters(10, undefined), 1);
    await waitFor(() => metrics.delivered.count === 2, 'the revived one delivered');
    assert.equal(outbox.deadLetterCount, 0);
  });

  it('keeps at most concurrencyPerUrl requests in flight per URL', async () => {
    start({ concurrencyPerUrl: 2 });
    for (let n = 1; n <= 6; n++) queues.accept(event('http://app/one', `topic${n}`, n));
    queues.accept(event('http://app/two', 'other', 7));
    await waitFor(() => sender.calls.length === 3, 'two to one URL, one to the other');
    assert.equal(sender.calls.filter((call) => call.url === 'http://app/one').length, 2);
    while (metrics.delivered.count < 7) {
      const open = sender.calls.filter((call) => !(call as { done?: boolean }).done);
      for (const call of open) {
        (call as { done?: boolean }).done = true;
        call.answer({ kind: 'delivered', status: 200 });
      }
      await waitFor(() => metrics.delivered.count >= 7 || sender.calls.some((call) => !(call as { done?: boolean }).done), 'more requests');
    }
    assert.ok(sender.maxOpen <= 3, `at most 2 + 1 in flight, saw ${sender.maxOpen}`);
  });

  it('refuses events beyond outboxLimit with a logged error and a count', async () => {
    start({ outboxLimit: 2 });
    assert.equal(queues.accept(event('http://app', 't', 1)), true);
    assert.equal(queues.accept(event('http://app', 't', 2)), true);
    assert.equal(queues.accept(event('http://app', 't', 3)), false);
    assert.equal(queues.accept(event('http://app', 't', 4)), false);
    assert.equal(metrics.refused.count, 2);
    const refusals = logs.filter((line) => line.level === 'error');
    assert.equal(refusals.length, 1, 'the log is throttled; the counter is not');
    assert.match(JSON.stringify(refusals[0]!.fields), /outbox_limit\)/);
    await waitFor(() => sender.calls.length === 1, 'the head sent');
    assert.throws(() => queues.retryDeadLetters(10, undefined), /outbox is full/);
  });

  it('bounds the outbox in bytes: dead letters give way first, then new events are refused; the bytes are counted', async () => {
    sender.auto = (call) => (JSON.parse(call.body).args[0] < 10 ? { kind: 'failed', error: 'HTTP 500' } : { kind: 'delivered', status: 200 });
    const sizeOf = (topic: string, n: number) => storedBytes({ ...event('http://app', topic, n), createdAt: 0, attempts: 0, nextAttemptAt: 0 });
    const size = sizeOf('t', 1);
    const newest = sizeOf('u', 10) + sizeOf('u', 11) + sizeOf('u', 12);
    start({ outboxLimitBytes: 3 * size + 50, retry: { initialDelayMs: 1, maxDelayMs: 1, maxAttempts: 1 } });
    queues.accept(event('http://app', 't', 1));
    queues.accept(event('http://app', 't', 2));
    await waitFor(() => outbox.deadLetters(10).length === 2, 'two dead letters on disk');
    assert.ok(outbox.bytes > 2 * size, 'dead letters count, with their last error');
    sender.auto = undefined; // from here on requests wait: the new events stay pending
    assert.equal(queues.accept(event('http://app', 'u', 10)), true);
    assert.equal(queues.accept(event('http://app', 'u', 11)), true, 'room made by dropping the oldest dead letter');
    assert.equal(outbox.deadLetterCount, 1);
    assert.equal(outbox.deadLetters(10)[0]!.publication, 2);
    assert.ok(logs.some((line) => /outbox_limit_bytes\): dropped the oldest dead letter/.test(line.message)));
    assert.equal(queues.accept(event('http://app', 'u', 12)), true);
    assert.equal(outbox.deadLetterCount, 0);
    assert.equal(queues.accept(event('http://app', 'u', 13)), false, 'undelivered messages alone fill it');
    assert.equal(metrics.refused.count, 1);
    assert.ok(logs.some((line) => /outbox_limit_bytes/.test(JSON.stringify(line.fields))));
    assert.equal(outbox.bytes, newest);
    assert.equal(reportedBytes, newest, 'the outbox reports its bytes (the junction_forwarder_outbox_bytes gauge)');
  });

  it('cuts requests still in flight after the stop grace, leaving their messages for the next start', async () => {
    start();
    queues.accept(event('http://app', 't', 1));
    queues.accept(event('http://app', 't', 2));
    await waitFor(() => sender.calls.length === 1, 'the head sent');
    await queues.stop(10);
    assert.equal(metrics.delivered.count, 0);
    assert.deepEqual(outbox.load().map((queue) => queue.seqs.length), [2]);
    assert.equal(outbox.get({ url: 'http://app', topic: 't', seq: outbox.load()[0]!.seqs[0]! })!.attempts, 0, 'an interrupted attempt is not a failure');
  });

  it('resumes what the outbox held, in order', async () => {
    for (let n = 1; n <= 5; n++) await outbox.append({ ...event('http://app', 't', n), createdAt: 0, attempts: 0, nextAttemptAt: 0 }).stored;
    sender.auto = () => ({ kind: 'delivered', status: 200 });
    assert.equal(start().pending, 5);
    await waitFor(() => metrics.delivered.count === 5, 'all delivered');
    assert.deepEqual(sender.bodies(), [1, 2, 3, 4, 5]);
  });
});
