import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { parseConfig } from '../../../src/config/load.js';
import { startNode, type RunningNode } from '../../../src/node/node.js';
import { silentLogger } from '../../../src/router/log.js';
import { debianNeed, skipWithoutDebian } from '../../support/debian.js';
import { skipTls, TestCertificates } from '../../support/tls.js';

/**
 * Autobahn|Python (Debian's python3-autobahn, asyncio) signs in by TLS client certificate as a
 * Crossbar backend does, over TLS RawSocket and TLS WebSocket, with the config Crossbar reads:
 * auth.tls static principals by certificate-sha1 and the endpoint's ca_certificates.
 */

const missing = skipWithoutDebian('python3-autobahn') || skipTls;
const python = debianNeed('python3').file;
// From dist/test/interop/python/ the project root is four levels up; the script is not compiled.
const script = fileURLToPath(new URL('../../../../test/interop/python/tls_client.py', import.meta.url));
const run = promisify(execFile);

const certificates = new TestCertificates(mkdtempSync(join(tmpdir(), 'junction-python-tls-')));
after(() => rmSync(certificates.dir, { recursive: true, force: true }));
const file = (name: string): string => certificates.file(name);

interface Outcome {
  joined?: { authid: string; authrole: string; authmethod: string; authprovider: string };
  session?: { transport: { type: string; extra: { client_cert?: { sha1: string } } } };
  left?: { reason: string; message: string | null };
}

/** Runs the Python client against `url` with `client`'s certificate (none: without one); its one JSON line. */
async function pythonSignIn(url: string, client?: string): Promise<Outcome> {
  const args = [script, '--url', url, '--ca', file('ca.crt'),
    ...(client === undefined ? [] : ['--cert', file(`${client}.crt`), '--key', file(`${client}.key`)])];
  const { stdout } = await run(python, args, { timeout: 30_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Outcome;
}

describe('Autobahn|Python signed in by TLS client certificate', { skip: missing }, () => {
  let node: RunningNode;
  let backendSha1 = '';

  before(async () => {
    certificates.authority('ca', 'backends ca');
    certificates.authority('other-ca', 'another ca');
    certificates.server('server', 'ca');
    certificates.issue('backend', '/CN=backend-1', 'ca');
    certificates.issue('stranger', '/CN=stranger', 'ca');
    certificates.issue('foreign', '/CN=backend-1', 'other-ca');
    backendSha1 = certificates.sha1('backend');
    const endpoint = { type: 'tcp', port: 0, interface: '127.0.0.1', tls: { key: file('server.key'), certificate: file('server.crt'), ca_certificates: [file('ca.crt')] } };
    const auth = { tls: { type: 'static', principals: { backend: { 'certificate-sha1': backendSha1, role: 'backend' } } } };
    const document = {
      version: 2,
      workers: [{
        type: 'router',
        realms: [{ name: 'realm1', roles: [{ name: 'backend', permissions: [{ uri: 'wamp.session.', match: 'prefix', allow: { call: true } }] }] }],
        transports: [
          { type: 'rawsocket', id: 'rss', endpoint, auth },
          { type: 'websocket', id: 'wss', endpoint, auth },
        ],
      }],
    };
    node = await startNode(parseConfig(document, { source: 'test', env: {} }), { log: silentLogger, shutdownGraceMs: 100 });
  });
  after(() => node?.stop());

  const url = (id: 'rss' | 'wss') => `${id}://127.0.0.1:${node.ports.get(id)}`;

  for (const id of ['rss', 'wss'] as const) {
    it(`signs in by its certificate over ${id === 'rss' ? 'RawSocket' : 'WebSocket'}: the certificate's principal, authmethod tls`, async () => {
      const outcome = await pythonSignIn(url(id), 'backend');
      assert.deepEqual(outcome.joined, { authid: 'backend', authrole: 'backend', authmethod: 'tls', authprovider: 'static' }, JSON.stringify(outcome));
      assert.equal(outcome.session?.transport.type, id === 'rss' ? 'rawsocket' : 'websocket');
      assert.equal(outcome.session?.transport.extra.client_cert?.sha1, backendSha1);
    });
  }

  it('is refused with wamp.error.not_authorized, saying why: no certificate, no principal, another authority', async () => {
    assert.deepEqual((await pythonSignIn(url('rss'))).left, { reason: 'wamp.error.not_authorized', message: 'the client did not send a TLS client certificate' });
    const stranger = (await pythonSignIn(url('rss'), 'stranger')).left;
    assert.equal(stranger?.reason, 'wamp.error.not_authorized');
    assert.match(stranger?.message ?? '', /^no principal for the client certificate \(CN "stranger"/);
    const foreign = (await pythonSignIn(url('wss'), 'foreign')).left;
    assert.equal(foreign?.reason, 'wamp.error.not_authorized');
    assert.match(foreign?.message ?? '', /is not trusted: UNABLE_TO_VERIFY_LEAF_SIGNATURE$/);
  });
});
