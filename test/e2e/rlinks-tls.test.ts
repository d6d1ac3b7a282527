import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect, type Session } from '../../src/client/index.js';
import { linkAuth, nodeKeys, startLinkedNode, type LinkedNode, type NodeKeys } from '../support/rlink-nodes.js';
import { skipTls, TestCertificates } from '../support/tls.js';
import { eventually, waitFor } from '../support/wait.js';

/**
 * Router links over TLS between Junction nodes: node B serves WAMP over WebSocket and RawSocket
 * on TLS endpoints, with a certificate from a test authority; linking nodes verify it against
 * their `tls.ca_certificates` and sign in with cryptosign bound to the TLS channel (B's router
 * refuses a signature that is not bound to it).
 */

describe('rlinks over TLS', { skip: skipTls, timeout: 180_000 }, () => {
  let root: string;
  let certificates: TestCertificates;
  let keys: NodeKeys;
  let b: LinkedNode;
  const nodes: LinkedNode[] = [];
  const sessions: Session[] = [];

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'junction-rlinks-tls-'));
    certificates = new TestCertificates(root);
    certificates.authority('ca', 'Junction test CA');
    certificates.authority('stranger', 'Some other CA');
    certificates.server('server', 'ca');
    certificates.issue('node_a', '/CN=node-a', 'ca');
    keys = nodeKeys();
    const tls = { key: certificates.file('server.key'), certificate: certificates.file('server.crt') };
    const endpoint = { type: 'tcp', port: 0, interface: '127.0.0.1', tls };
    b = await startLinkedNode(join(root, 'b'), nodeKeys(), [
      { type: 'websocket', id: 'links_wss', endpoint, auth: linkAuth(keys.publicKey) },
      { type: 'rawsocket', id: 'links_rss', endpoint, serializers: ['cbor', 'msgpack', 'json'], auth: linkAuth(keys.publicKey) },
      // Asks clients for a certificate from the test authority.
      { type: 'websocket', id: 'links_mtls', endpoint: { ...endpoint, tls: { ...tls, ca_certificates: [certificates.file('ca.crt')] } }, auth: linkAuth(keys.publicKey) },
    ]);
    nodes.push(b);
  });

  after(async () => {
    await Promise.all(sessions.map((session) => session.leave().catch(() => undefined)));
    for (const node of nodes.reverse()) await node.node.stop();
    await rm(root, { recursive: true, force: true });
  });

  /** A node linking to B over `transport` (with B's port filled in), signing in with the key B knows. */
  async function linkingNode(name: string, transport: (ports: { wss: number; rss: number; mtls: number }) => object): Promise<LinkedNode> {
    const ports = { wss: b.node.ports.get('links_wss')!, rss: b.node.ports.get('links_rss')!, mtls: b.node.ports.get('links_mtls')! };
    const node = await startLinkedNode(join(root, name), keys, [], [{ id: 'to_b', realm: 'realm1', transport: transport(ports) }]);
    nodes.push(node);
    return node;
  }

  const linkUp = (node: LinkedNode) => waitFor(() => node.lines.some((line) => line.msg === 'router link up'), 'the link up', 30_000);
  const trusted = () => ({ hostname: 'localhost', ca_certificates: [certificates.file('ca.crt')] });

  async function session(url: string): Promise<Session> {
    const joined = await connect({ url, realm: 'realm1' });
    sessions.push(joined);
    return joined;
  }

  /** A procedure registered on B answers a caller on `node`: the link forwards over its TLS connection. */
  async function callsCross(node: LinkedNode, procedure: string): Promise<void> {
    const callee = await session(b.clientUrl);
    await callee.register(procedure, (args) => `${String(args[0])} via TLS`);
    const caller = await session(node.clientUrl);
    const result = await eventually(() => caller.call(procedure, ['hello']), `${procedure} callable through the link`);
    assert.deepEqual(result.args, ['hello via TLS']);
  }

  it('links over wss:// with the endpoint\'s tls, signing in with cryptosign bound to the TLS channel', async () => {
    const a = await linkingNode('a_wss', ({ wss }) => ({
      type: 'websocket', url: `wss://localhost:${wss}/`, serializers: ['cbor'],
      endpoint: { type: 'tcp', host: '127.0.0.1', port: wss, tls: trusted() },
    }));
    await linkUp(a);
    const started = a.lines.find((line) => line.msg === 'starting router link');
    assert.equal(started?.fields.tls, true);
    await callsCross(a, 'test.over_wss');
  });

  it('links over RawSocket on TLS', async () => {
    const a = await linkingNode('a_rss', ({ rss }) => ({
      type: 'rawsocket', serializer: 'msgpack', url: `rss://localhost:${rss}`,
      endpoint: { type: 'tcp', host: '127.0.0.1', port: rss, tls: trusted() },
    }));
    await linkUp(a);
    await callsCross(a, 'test.over_rss');
  });

  it('presents the client certificate of its tls.certificate and tls.key', async () => {
    const a = await linkingNode('a_mtls', ({ mtls }) => ({
      type: 'websocket', url: `wss://localhost:${mtls}/`,
      endpoint: { type: 'tcp', host: '127.0.0.1', port: mtls, tls: { ...trusted(), certificate: certificates.file('node_a.crt'), key: certificates.file('node_a.key') } },
    }));
    await linkUp(a);
    const linkSession = a.lines.find((line) => line.msg === 'router link up')!.fields.session;
    const observer = await session(b.clientUrl);
    const seen = (await observer.call('wamp.session.get', [linkSession])).args[0] as { transport: { extra: { client_cert?: { authorized: boolean; subject: { cn: string } } } } };
    assert.deepEqual([seen.transport.extra.client_cert?.authorized, seen.transport.extra.client_cert?.subject.cn], [true, 'node-a']);
  });

  it('does not start when a TLS file of a link cannot be read or does not fit, and says which', async () => {
    const linking = (name: string, tls: object) => linkingNode(name, ({ wss }) => ({
      type: 'websocket', url: `wss://localhost:${wss}/`, endpoint: { type: 'tcp', host: '127.0.0.1', port: wss, tls },
    }));
    await assert.rejects(linking('a_missing_file', { ca_certificates: ['ca/missing.crt'] }),
      /^StartupError: realm "realm1" rlink "to_b": cannot read its transport\.endpoint\.tls\.ca_certificates \/.*\/a_missing_file\/ca\/missing\.crt: no such file/);
    await assert.rejects(linking('a_wrong_key', { ...trusted(), certificate: certificates.file('node_a.crt'), key: certificates.file('server.key') }),
      (error: Error & { code?: string }) => error.code === 'tls_invalid' && /realm "realm1" rlink "to_b": its transport\.endpoint\.tls\.key \S+server\.key is not the key of its transport\.endpoint\.tls\.certificate \S+node_a\.crt/.test(error.message));
  });

  for (const [what, tls] of [
    ['a certificate from an authority it was not given', () => ({ hostname: 'localhost', ca_certificates: [certificates.file('stranger.crt')] })],
    ['a certificate the system\'s authorities do not know (no ca_certificates)', () => ({ hostname: 'localhost' })],
    ['a certificate for another name than tls.hostname', () => ({ hostname: 'node2.example', ca_certificates: [certificates.file('ca.crt')] })],
  ] as const) {
    it(`refuses ${what}: logs why, counts the failure, keeps trying`, async () => {
      const a = await linkingNode(`a_refused_${nodes.length}`, ({ wss }) => ({
        type: 'websocket', url: `wss://localhost:${wss}/`, endpoint: { type: 'tcp', host: '127.0.0.1', port: wss, tls: tls() },
      }));
      const refused = () => a.lines.filter((line) => line.msg.startsWith('router link: the other router\'s TLS certificate does not verify'));
      await waitFor(() => refused().length >= 2, 'two refused attempts', 30_000);
      assert.ok(String(refused()[0]!.fields.error).length > 0, 'the log line says Node\'s reason');
      assert.ok(!a.lines.some((line) => line.msg === 'router link up'));
      assert.match(a.node.metrics.exposition(), /junction_rlink_failures_total\{[^}]*stage="connect"[^}]*\} [1-9]/);
    });
  }
});
