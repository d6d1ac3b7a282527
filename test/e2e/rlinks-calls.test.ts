import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect, WampError, type InvocationDetails, type Session } from '../../src/client/index.js';
import { linkAuth, nodeKeys, startLinkedNode, type LinkedNode } from '../support/rlink-nodes.js';
import { eventually, waitFor } from '../support/wait.js';

/**
 * Calls across a router link in both directions (node A links to node B, every forward_* on):
 * progressive results reach a caller that asked for them, in order and before the final
 * result; a caller's cancel and its timeout interrupt the callee on the other router.
 */

describe('rlinks: progressive results, cancel and timeout through a link', { timeout: 120_000 }, () => {
  let root: string;
  let a: LinkedNode;
  let b: LinkedNode;
  const sessions: Session[] = [];

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'junction-rlink-calls-'));
    const [keysA, keysB] = [nodeKeys(), nodeKeys()];
    b = await startLinkedNode(join(root, 'b'), keysB, [{ type: 'websocket', id: 'links', endpoint: { type: 'tcp', port: 0, interface: '127.0.0.1' }, auth: linkAuth(keysA.publicKey) }]);
    const linkPort = b.node.ports.get('links')!;
    a = await startLinkedNode(join(root, 'a'), keysA, [], [{
      id: 'to_b', realm: 'realm1',
      transport: { type: 'websocket', endpoint: { type: 'tcp', host: '127.0.0.1', port: linkPort }, url: `ws://127.0.0.1:${linkPort}/` },
    }]);
    await waitFor(() => a.lines.some((line) => line.msg === 'router link up'), 'the link up', 30_000);
  });

  after(async () => {
    await Promise.all(sessions.map((session) => session.leave().catch(() => undefined)));
    await a?.node.stop();
    await b?.node.stop();
    await rm(root, { recursive: true, force: true });
  });

  async function join_(node: LinkedNode): Promise<Session> {
    const session = await connect({ url: node.clientUrl, realm: 'realm1' });
    sessions.push(session);
    return session;
  }

  /** Waits until `procedure` is registered on `node` (the link's mirror of the other node's). */
  async function mirrored(node: LinkedNode, procedure: string): Promise<void> {
    const probe = await join_(node);
    await eventually(async () => (await probe.call('wamp.registration.lookup', [procedure])).args[0] ?? undefined, `${procedure} mirrored`);
  }

  /** Registers a procedure that streams 1, 2, 3 as progressive results, then "done"; returns what its invocations asked. */
  async function registerCounter(callee: Session, procedure: string): Promise<boolean[]> {
    const asked: boolean[] = [];
    await callee.register(procedure, async function* (_args, _kwargs, details: InvocationDetails) {
      asked.push(details.receive_progress);
      for (const n of [1, 2, 3]) yield n;
      return 'done';
    });
    return asked;
  }

  for (const [direction, calleeNode, callerNode] of [['A to B', () => b, () => a], ['B to A', () => a, () => b]] as const) {
    it(`streams progressive results in order to a caller that asked for them (${direction})`, async () => {
      const procedure = `test.count.${direction === 'A to B' ? 'b' : 'a'}`;
      const asked = await registerCounter(await join_(calleeNode()), procedure);
      await mirrored(callerNode(), procedure);
      const caller = await join_(callerNode());
      const seen: unknown[] = [];
      const result = await caller.call(procedure, [], {}, { onProgress: (progress) => seen.push(progress.args[0]) });
      seen.push(result.args[0]);
      assert.deepEqual(seen, [1, 2, 3, 'done']);
      // As on a direct call: a caller that did not ask gets the final result only, and the callee is told so.
      assert.deepEqual((await caller.call(procedure)).args, ['done']);
      assert.deepEqual(asked, [true, false]);
    });

    it(`interrupts the callee on the other router when the caller cancels a progressive call (${direction})`, async () => {
      const procedure = `test.endless.${direction === 'A to B' ? 'b' : 'a'}`;
      const callee = await join_(calleeNode());
      let interrupted = false;
      await callee.register(procedure, async (_args, _kwargs, details) => {
        details.progress(['started']);
        await new Promise((resolve) => details.signal.addEventListener('abort', resolve, { once: true }));
        interrupted = true;
        return 'never seen';
      });
      await mirrored(callerNode(), procedure);
      const caller = await join_(callerNode());
      const cancel = new AbortController();
      let started = false;
      const call = caller.call(procedure, [], {}, { signal: cancel.signal, onProgress: () => (started = true) });
      const failed = call.then(() => undefined, (error: unknown) => error);
      await waitFor(() => started, 'the first progressive result', 10_000);
      cancel.abort();
      assert.ok(await failed, 'the call failed');
      await waitFor(() => interrupted, 'the callee interrupted', 10_000);
    });

    it(`interrupts the callee on the other router when the call times out (${direction})`, async () => {
      const procedure = `test.slow.${direction === 'A to B' ? 'b' : 'a'}`;
      const callee = await join_(calleeNode());
      let interrupted = false;
      await callee.register(procedure, async (_args, _kwargs, details) => {
        await new Promise((resolve) => details.signal.addEventListener('abort', resolve, { once: true }));
        interrupted = true;
        return 'never seen';
      });
      await mirrored(callerNode(), procedure);
      const caller = await join_(callerNode());
      const failure = await caller.call(procedure, [], {}, { timeout: 300 }).then(() => undefined, (error: unknown) => error);
      assert.ok(failure instanceof WampError, String(failure));
      assert.equal(failure.uri, 'wamp.error.timeout');
      await waitFor(() => interrupted, 'the callee interrupted', 10_000);
    });
  }
});
