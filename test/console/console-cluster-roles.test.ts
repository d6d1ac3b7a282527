/**
 * The console's procedures on two nodes of one cluster (an in-process backplane), with the console
 * fixture's roles: the listings of one node's console show the other node's sessions,
 * subscriptions and registrations with their node, and the roles decide exactly as on one node:
 * the read-only role lists but may not kill (not even a session of the other node) nor read the
 * configuration; the operator's kill closes a session of the other node.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect, WampError, type Session } from '../../src/client/index.js';
import { startNode, type RunningNode } from '../../src/node/node.js';
import { MemoryHub } from '../../src/router/backplane-memory.js';
import { silentLogger } from '../../src/router/log.js';
import { eventually } from '../support/wait.js';
import { consoleConfig, operator, viewer } from './fixture.js';

interface Listed {
  total: number;
  items: { node: string; session?: number; uri?: string; callees?: number[] }[];
  nodes: { node: string; total?: number; error?: string }[];
}

describe('the console\'s procedures on two nodes of a cluster, and its roles', { timeout: 30_000 }, () => {
  const hub = new MemoryHub();
  const nodes: RunningNode[] = [];
  const sessions: Session[] = [];
  let dataDir: string;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'junction-console-cluster-'));
    for (const name of ['a', 'b']) {
      const config = consoleConfig();
      // The fixture's components (a forwarder needs the cluster's leased feeds) are not what this test is about.
      config.components = [];
      nodes.push(await startNode(config, { log: silentLogger, shutdownGraceMs: 200, dataDir: join(dataDir, name), backplane: hub.node(name) }));
    }
  });

  after(async () => {
    for (const session of sessions) await session.leave().catch(() => undefined);
    for (const node of nodes) await node.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function enter(node: RunningNode, path: string, auth: Parameters<typeof connect>[0]['auth']): Promise<Session> {
    const session = await connect({ url: `ws://127.0.0.1:${[...node.ports.values()][0]}${path}`, realm: 'realm1', auth, reconnect: false });
    sessions.push(session);
    return session;
  }

  it('lists the other node\'s entries with their node; the read-only role gains nothing; the operator kills on the other node', async () => {
    const [a, b] = nodes as [RunningNode, RunningNode];
    const client = await enter(b, '/ws', { method: 'anonymous' });
    await client.subscribe('roles.topic', () => {});
    await client.register('roles.echo', (args) => args);
    const readOnly = await enter(a, '/console/ws', { method: 'wampcra', authid: viewer.authid, secret: viewer.secret });

    const listed = await eventually(async () => {
      const answer = (await readOnly.call('junction.session.list')).args[0] as Listed;
      return answer.items.some((item) => item.session === client.id) ? answer : undefined;
    }, 'the other node\'s session in the read-only role\'s listing');
    assert.equal(listed.items.find((item) => item.session === client.id)?.node, 'b');
    assert.equal(listed.items.find((item) => item.session === readOnly.id)?.node, 'a');
    assert.deepEqual(listed.nodes.map((entry) => entry.node), ['a', 'b']);
    const topics = (await readOnly.call('junction.subscription.list')).args[0] as Listed;
    assert.deepEqual(topics.items.filter((item) => item.uri === 'roles.topic').map((item) => item.node), ['b']);
    const procedures = (await readOnly.call('junction.registration.list')).args[0] as Listed;
    assert.deepEqual(procedures.items.filter((item) => item.uri === 'roles.echo').map((item) => [item.node, item.callees]), [['b', [client.id]]]);

    // Exactly the permissions of one node: no kill, no configuration, whichever node the target is on.
    const notAuthorized = (error: WampError) => error.uri === 'wamp.error.not_authorized';
    await assert.rejects(readOnly.call('wamp.session.kill', [client.id]), notAuthorized);
    await assert.rejects(readOnly.call('junction.config.get'), notAuthorized);
    // A mistyped keyword is refused as on one node, before any node is asked.
    await assert.rejects(readOnly.call('junction.session.list', [], { limitt: 1 }), (error: WampError) => error.uri === 'wamp.error.invalid_argument');
    const one = (await readOnly.call('junction.session.list', [], { limit: 1 })).args[0] as Listed & { truncated: boolean };
    assert.equal(one.items.length, 1);
    assert.equal(one.truncated, true);

    const ops = await enter(a, '/console/ws', { method: 'ticket', authid: operator.authid, ticket: operator.ticket });
    const closed = new Promise<string>((resolve) => {
      void (async () => {
        for await (const status of client.status()) if (status.type === 'closed') return resolve(status.reason);
      })();
    });
    await ops.call('wamp.session.kill', [client.id], { reason: 'wamp.close.killed' });
    assert.equal(await closed, 'wamp.close.killed');
  });
});
