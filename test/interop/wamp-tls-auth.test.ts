import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { connect, type Session } from '../../src/client/index.js';
import { parseConfig } from '../../src/config/load.js';
import { MetricsRegistry } from '../../src/metrics/registry.js';
import { startNode, type RunningNode } from '../../src/node/node.js';
import { silentLogger } from '../../src/router/log.js';
import { openConnection, type CloseDetails } from '../support/autobahn.js';
import { skipTls, TestCertificates } from '../support/tls.js';

/**
 * WAMP clients signed in by TLS client certificate (auth "tls", as Crossbar): AutobahnJS with a
 * `tlsConfiguration` and a bare `ws` client over WSS. A certificate authority made with openssl
 * at test time signs the server's certificate and the clients'; one client is pinned by its SHA-1
 * fingerprint (Crossbar's certificate-sha1), one by its subject CN; a dynamic authenticator gets
 * the certificate in the transport details. Refusals are wamp.error.not_authorized saying why.
 * The RawSocket side is driven by Autobahn|Python (test/interop/python/tls-python.test.ts).
 */

const certificates = new TestCertificates(mkdtempSync(join(tmpdir(), 'junction-wamp-tls-')));
const file = (name: string): string => certificates.file(name);

let backendSha1 = '';
if (!skipTls) {
  certificates.authority('ca', 'backends ca');
  certificates.authority('other-ca', 'another ca');
  certificates.server('server', 'ca');
  certificates.issue('backend', '/CN=whatever/O=Example', 'ca'); // pinned by fingerprint
  certificates.issue('worker', '/CN=worker-1', 'ca'); // signs in by CN
  certificates.issue('stranger', '/CN=stranger', 'ca'); // trusted, but no principal
  certificates.issue('foreign', '/CN=worker-1', 'other-ca'); // the worker's CN from another authority
  backendSha1 = certificates.sha1('backend');
}

const tlsEndpoint = () => ({
  type: 'tcp', port: 0, interface: '127.0.0.1',
  tls: { key: file('server.key'), certificate: file('server.crt'), ca_certificates: [file('ca.crt')] },
});

function documentWith(principals: Record<string, unknown>) {
  const everything = [{ uri: '', match: 'prefix', allow: { call: true, register: true, publish: true, subscribe: true } }];
  return {
    version: 2,
    workers: [{
      type: 'router',
      realms: [{ name: 'realm1', roles: [{ name: 'backend', permissions: everything }, { name: 'anonymous', permissions: everything }] }],
      transports: [
        { type: 'websocket', id: 'plain', endpoint: { type: 'tcp', port: 0, interface: '127.0.0.1' } },
        { type: 'websocket', id: 'wss', endpoint: tlsEndpoint(), auth: { tls: { type: 'static', principals } } },
        // No door reads the certificate: the handshake requires one, as Crossbar's (Twisted's verify).
        { type: 'websocket', id: 'required', endpoint: tlsEndpoint() },
        { type: 'universal', id: 'universal', endpoint: tlsEndpoint(), websocket: { ws: { auth: { tls: { type: 'static', principals } } } } },
        {
          type: 'web', id: 'web', endpoint: tlsEndpoint(),
          paths: { ws: { type: 'websocket', auth: { tls: { type: 'dynamic', authenticator: 'com.example.authenticate' } } } },
        },
      ],
    }],
  };
}

const principals = { backend: { 'certificate-sha1': backendSha1, role: 'backend' }, 'worker-1': { role: 'backend' } };

describe('WAMP clients signed in by TLS client certificate', { skip: skipTls }, () => {
  let node: RunningNode;
  let helper: Session;
  const metrics = new MetricsRegistry();
  /** What the dynamic authenticator was asked, newest last. */
  const asked: Record<string, any>[] = [];

  before(async () => {
    node = await startNode(parseConfig(documentWith(principals), { source: 'test', env: {} }), { log: silentLogger, shutdownGraceMs: 100, metrics });
    helper = await connect({ url: `ws://127.0.0.1:${node.ports.get('plain')}`, realm: 'realm1', reconnect: false });
    // As Crossbar's example authenticator: a fingerprint it knows becomes the subject CN, in role backend.
    await helper.register('com.example.authenticate', (args) => {
      const details = args[2] as Record<string, any>;
      asked.push(details);
      const certificate = details.transport.peer_cert;
      if (certificate.sha1 !== backendSha1) throw new Error('unknown certificate');
      return { authid: certificate.subject.cn, role: 'backend', extra: { organisation: certificate.subject.o } };
    });
  });
  after(async () => {
    await helper?.leave();
    await node?.stop();
    rmSync(certificates.dir, { recursive: true, force: true });
  });

  const wss = (id = 'wss', path = '') => `wss://127.0.0.1:${node.ports.get(id)}${path}`;

  /** An AutobahnJS sign-in by `client`'s certificate: the WELCOME details, or the close details of a refusal. */
  async function autobahnSignIn(url: string, client: string, authority = 'ca'): Promise<{ welcome?: Record<string, any>; refusal?: CloseDetails; session?: any; close?: () => Promise<void> }> {
    try {
      const open = await openConnection({
        url, realm: 'realm1', authmethods: ['tls'],
        tlsConfiguration: { ...certificates.clientOptions(client, authority) },
      }, (_reason, details) => Object.assign(new Error('refused'), { details }));
      return { welcome: open.details as Record<string, any>, session: open.session, close: open.close };
    } catch (error) {
      return { refusal: (error as { details?: CloseDetails }).details ?? {} };
    }
  }

  /** A bare WSS client (`ws`) that sends HELLO with authmethods ["tls"] and returns the router's answer. */
  async function wsHello(url: string, client: string | undefined): Promise<unknown[]> {
    const socket = new WebSocket(url, ['wamp.2.json'], certificates.clientOptions(client, 'ca'));
    try {
      await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
      const answer = new Promise<unknown[]>((resolve, reject) => {
        socket.once('message', (data: Buffer) => resolve(JSON.parse(data.toString()) as unknown[]));
        socket.once('close', () => reject(new Error('closed without an answer')));
      });
      socket.send(JSON.stringify([1, 'realm1', { roles: { caller: {} }, authmethods: ['tls'] }]));
      return await answer;
    } finally {
      socket.terminate();
    }
  }

  async function sessionDetails(id: number): Promise<Record<string, any>> {
    return (await helper.call('wamp.session.get', [id])).args[0] as Record<string, any>;
  }

  it('AutobahnJS signs in by its pinned certificate: WELCOME authmethod tls, the certificate in wamp.session.get', async () => {
    const { welcome, session, close } = await autobahnSignIn(wss(), 'backend');
    assert.ok(welcome, 'signed in');
    try {
      assert.equal(welcome.authid, 'backend');
      assert.equal(welcome.authrole, 'backend');
      assert.equal(welcome.authmethod, 'tls');
      assert.equal(welcome.authprovider, 'static');
      const details = await sessionDetails(session.id);
      assert.equal(details.authmethod, 'tls');
      const certificate = details.transport.extra.client_cert;
      assert.equal(certificate.sha1, backendSha1);
      assert.equal(certificate.authorized, true);
      assert.deepEqual(certificate.subject, { cn: 'whatever', o: 'Example' });
      assert.deepEqual(certificate.issuer, { cn: 'backends ca' });
      // Crossbar's formats: openssl's random 159-bit serial as its decimal digits (beyond 64 bits), GeneralizedTime dates.
      const x509 = new X509Certificate(readFileSync(file('backend.crt')));
      assert.equal(certificate.serial, BigInt(`0x${x509.serialNumber}`).toString());
      assert.equal(certificate.not_after, new Date(x509.validTo).toISOString().replace(/[-:T]/g, '').replace(/\.000Z$/, 'Z'));
      assert.match(certificate.not_before, /^\d{14}Z$/);
      assert.match(certificate.md5, /^([0-9A-F]{2}:){15}[0-9A-F]{2}$/);
      assert.equal(certificate.expired, false);
      assert.equal(details.transport.type, 'websocket');
      assert.equal(details.transport.extra.path, '/');
    } finally {
      await close!();
    }
  });

  it('a bare ws client signs in by subject CN; without a certificate it hears why', async () => {
    const welcome = await wsHello(wss(), 'worker');
    assert.equal(welcome[0], 2, `WELCOME, not ${JSON.stringify(welcome)}`);
    const { authid, authrole, authmethod } = welcome[2] as Record<string, unknown>;
    assert.deepEqual({ authid, authrole, authmethod }, { authid: 'worker-1', authrole: 'backend', authmethod: 'tls' });
    assert.deepEqual(await wsHello(wss(), undefined), [3, { message: 'the client did not send a TLS client certificate' }, 'wamp.error.not_authorized']);
  });

  it("a universal port's websocket part reads the certificate of the TLS connection it sniffed", async () => {
    const { welcome, close } = await autobahnSignIn(wss('universal', '/ws'), 'worker');
    assert.ok(welcome, 'signed in');
    await close!();
    assert.deepEqual([welcome.authid, welcome.authmethod], ['worker-1', 'tls']);
  });

  it('refuses a certificate of no principal, and one from another authority, with wamp.error.not_authorized saying why', async () => {
    const stranger = await autobahnSignIn(wss(), 'stranger');
    assert.equal(stranger.refusal?.reason, 'wamp.error.not_authorized');
    assert.match(stranger.refusal?.message ?? '', /^no principal for the client certificate \(CN "stranger", SHA-1 [0-9A-F:]{59}\)$/);
    const foreign = await autobahnSignIn(wss(), 'foreign', 'ca');
    assert.equal(foreign.refusal?.reason, 'wamp.error.not_authorized');
    assert.match(foreign.refusal?.message ?? '', /^the client certificate \(CN "worker-1"\) is not trusted: UNABLE_TO_VERIFY_LEAF_SIGNATURE$/);
  });

  it("a web transport's websocket path asks the dynamic authenticator, which gets the certificate where Crossbar puts it", async () => {
    const { welcome, close } = await autobahnSignIn(wss('web', '/ws'), 'backend');
    assert.ok(welcome, 'signed in');
    await close!();
    assert.equal(welcome.authid, 'whatever', 'the authenticator named the subject CN');
    assert.equal(welcome.authprovider, 'dynamic');
    assert.deepEqual(welcome.authextra, { organisation: 'Example' });
    const details = asked.at(-1)!;
    assert.equal(details.authmethod, 'tls');
    assert.equal(details.transport.client_cert.sha1, backendSha1, "Crossbar's older name");
    assert.equal(details.transport.extra.client_cert.sha1, backendSha1);
    const refused = await autobahnSignIn(wss('web', '/ws'), 'worker');
    assert.equal(refused.refusal?.reason, 'wamp.error.authentication_failed', 'what the authenticator threw is not told');
  });

  it('an endpoint with ca_certificates and no tls sign-in refuses a client without a valid certificate at the handshake; one with it signs in as usual', async () => {
    const url = wss('required');
    for (const [client, authority] of [[undefined, 'ca'], ['foreign', 'other-ca']] as const) {
      const socket = new WebSocket(url, ['wamp.2.json'], certificates.clientOptions(client, authority));
      const outcome = await new Promise<string>((resolve) => {
        socket.once('open', () => resolve('open'));
        socket.once('error', (error) => resolve(`error: ${error.message}`));
      });
      socket.terminate();
      assert.match(outcome, /^error: /, `${client ?? 'no certificate'}: ${outcome}`);
    }
    const open = await openConnection({ url, realm: 'realm1', tlsConfiguration: { ...certificates.clientOptions('stranger', 'ca') } }, (reason) => new Error(reason));
    assert.equal((open.details as Record<string, any>).authmethod, 'anonymous');
    await open.close();
  });

  it('counts sign-ins by method in junction_sign_ins_total', () => {
    const exposition = metrics.exposition();
    assert.match(exposition, /junction_sign_ins_total\{method="tls",outcome="welcome"\} [1-9]/);
    assert.match(exposition, /junction_sign_ins_total\{method="tls",outcome="refused"\} [1-9]/);
  });

  it('after a reload that removes a principal, its certificate no longer signs in', async () => {
    const before = await autobahnSignIn(wss(), 'worker');
    assert.ok(before.welcome, 'the worker signs in before the reload');
    try {
      const report = await node.reload(parseConfig(documentWith({ backend: principals.backend }), { source: 'test', env: {} }));
      assert.deepEqual(report.notApplied, []);
      const after = await autobahnSignIn(wss(), 'worker');
      assert.equal(after.refusal?.reason, 'wamp.error.not_authorized');
      assert.match(after.refusal?.message ?? '', /no principal for the client certificate \(CN "worker-1"/);
      const kept = await autobahnSignIn(wss(), 'backend');
      assert.ok(kept.welcome, 'the principal still configured signs in');
      await kept.close!();
    } finally {
      await before.close!();
    }
  });
});
