import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import type { JunctionConfig, StdioComponentConfig } from '../../src/config/model.js';
import type { RunningNode } from '../../src/node/node.js';
import { openAutobahn, type OpenSession } from '../support/autobahn.js';
import { projectRoot } from '../support/cli.js';
import { startTestNode, testConfig } from '../support/node.js';
import { waitFor } from '../support/wait.js';

/**
 * The `stdio` component (docs/stdio.md): programs in sh and Python speak WAMP as JSON lines and
 * AutobahnJS clients call, subscribe and receive; a program that crashes is started again; one
 * that does not read its stdin costs bounded memory.
 */

const fixtures = join(projectRoot, 'test/fixtures/stdio');

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function program(id: string, command: string[], more: Partial<StdioComponentConfig> = {}): StdioComponentConfig {
  return {
    kind: 'stdio', id, realm: 'realm1', role: 'anonymous', command, cwd: fixtures, env: {},
    maxLineBytes: 65_536, queueLimit: 1_000, restart: { initialDelayMs: 50, maxDelayMs: 1_000 },
    ...more,
  };
}

async function start(...components: StdioComponentConfig[]): Promise<{ node: RunningNode & { url: string }; client: OpenSession }> {
  const config: JunctionConfig = testConfig();
  config.components = components;
  const node = await startTestNode(config);
  cleanups.push(() => node.stop());
  const client = await openAutobahn(node.url);
  cleanups.push(() => client.close());
  return { node, client };
}

/** Calls until the procedure is registered (the program registers once it has started). */
async function callWhenRegistered(client: OpenSession, procedure: string, args: unknown[] = []): Promise<unknown> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    try {
      return await client.session.call(procedure, args);
    } catch (error) {
      if ((error as { error?: string }).error !== 'wamp.error.no_such_procedure' || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** Waits until `procedure` is registered (meta API), without calling it. */
async function registered(client: OpenSession, procedure: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while ((await client.session.call('wamp.registration.lookup', [procedure])) === null) {
    if (Date.now() > deadline) throw new Error(`${procedure} was never registered`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const metric = (node: RunningNode, name: string, component: string) => node.metrics.counter(name, '').value({ component });

describe('stdio component', () => {
  it('a shell script registers a procedure an AutobahnJS client calls, and publishes a reading each time', async () => {
    const { node, client } = await start(program('sensor', ['./sensor.sh']));
    const readings: unknown[] = [];
    await client.session.subscribe('board.readings', (args: unknown[]) => readings.push(args[0]));
    assert.equal(await callWhenRegistered(client, 'board.temperature'), 21.1);
    assert.equal(await client.session.call('board.temperature'), 21.2);
    await waitFor(() => readings.length === 2, 'two readings');
    assert.deepEqual(readings, [21.1, 21.2]);
    assert.equal(metric(node, 'junction_stdio_invalid_lines_total', 'sensor'), 1, '"hello board" is not a command');
  });

  it('a Python script subscribes with a prefix and publishes what it saw', async () => {
    const { client } = await start(program('auditor', ['/usr/bin/python3', 'subscriber.py']));
    const seen: unknown[][] = [];
    await client.session.subscribe('audit.seen', (args: unknown[]) => seen.push(args));
    const ready: unknown[] = [];
    await client.session.subscribe('audit.ready', (args: unknown[]) => ready.push(args));
    // The program may have subscribed before this client did: publish until it has said so, or it sees one.
    const deadline = Date.now() + 5_000;
    while (seen.length === 0 && Date.now() < deadline) {
      await client.session.publish('chat.room1', ['hello'], {}, { acknowledge: true, exclude_me: false });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(seen.length > 0, 'the program saw an event');
    assert.deepEqual(seen[0], ['chat.room1', ['hello']]);
  });

  it('starts a crashed program again with a new session; the call it left open fails with program_exited', async () => {
    const { node, client } = await start(program('crashy', ['./crashy.sh']));
    assert.equal(await callWhenRegistered(client, 'crashy.ping'), 'pong');
    await assert.rejects(client.session.call('crashy.ping', ['crash']), (error: { error: string; args: unknown[] }) => {
      assert.equal(error.error, 'junction.error.stdio.program_exited');
      return true;
    });
    assert.equal(await callWhenRegistered(client, 'crashy.ping'), 'pong', 'served again after the restart');
    assert.equal(metric(node, 'junction_stdio_restarts_total', 'crashy'), 1);
  });

  it('a program that does not read its stdin: events past the queue limit are dropped and counted, calls fail busy', async () => {
    const { node, client } = await start(program('deaf', ['./deaf.sh'], { queueLimit: 4, maxLineBytes: 4_096 }));
    await registered(client, 'deaf.ping');
    // One at a time, so the pipe fills (64 KiB on Linux) and then the queue: the rest are dropped.
    const payload = 'x'.repeat(2_000);
    for (let i = 0; i < 100; i++) await client.session.publish('flood', [payload], {}, { acknowledge: true });
    assert.ok(metric(node, 'junction_stdio_dropped_events_total', 'deaf') > 40, 'most events past the pipe and the queue are dropped');
    await assert.rejects(client.session.call('deaf.ping'), (error: { error: string }) => {
      assert.equal(error.error, 'junction.error.stdio.busy');
      return true;
    });
  });
});
