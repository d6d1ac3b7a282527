import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { after, describe, it } from 'node:test';
import { staticCryptosign } from '../../auth/cryptosign.js';
import { tlsUniqueChannelId, withTlsDetails } from '../../transport/client-certificate.js';
import { authenticate, authRequest, challenged } from '../../../test/auth/support/method-test.js';
import { selfSignedCertificate, skipTls } from '../../../test/support/tls.js';
import { challengeToSign, linkAuthenticator } from './link-sign-in.js';

const folder = mkdtempSync(join(tmpdir(), 'junction-link-sign-in-'));
after(() => rmSync(folder, { recursive: true, force: true }));

const seed = () => Buffer.from(generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }).d!, 'base64url');

/** Two TLS connections to one server: each connection's client and server sockets. */
async function tlsPairs(count: number): Promise<{ client: TLSSocket; server: TLSSocket }[]> {
  const files = selfSignedCertificate(folder)!;
  const accepted: TLSSocket[] = [];
  const server = createServer({ key: readFileSync(files.key), cert: readFileSync(files.certificate) }, (socket) => accepted.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  after(() => server.close());
  const pairs: { client: TLSSocket; server: TLSSocket }[] = [];
  for (let i = 0; i < count; i++) {
    const client = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: readFileSync(files.certificate) });
    after(() => client.destroy());
    await new Promise((resolve, reject) => client.once('secureConnect', resolve).once('error', reject));
    const deadline = Date.now() + 5000;
    while (accepted.length <= i && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    pairs.push({ client, server: accepted[i]! });
  }
  return pairs;
}

describe('a router link\'s cryptosign sign-in', () => {
  it('asks for tls-unique channel binding in HELLO, as Crossbar\'s link does', async () => {
    const authenticator = (await linkAuthenticator({ method: 'cryptosign', privateKey: seed() }, () => undefined))();
    assert.deepEqual(authenticator.authmethods, ['cryptosign']);
    assert.equal(authenticator.authextra?.channel_binding, 'tls-unique');
    assert.match(String(authenticator.authextra?.pubkey), /^[0-9a-f]{64}$/);
  });

  it('signs the challenge as sent when the router does not bind it or there is no TLS channel', () => {
    const challenge = 'ab'.repeat(32);
    const channel = 'cd'.repeat(32);
    assert.equal(challengeToSign({ challenge, channel_binding: null }, channel), challenge);
    assert.equal(challengeToSign({ challenge, channel_binding: 'tls-unique' }, undefined), challenge);
    assert.equal(challengeToSign({ challenge: 'not hex', channel_binding: 'tls-unique' }, channel), 'not hex', 'left for the signer to refuse');
    assert.equal(challengeToSign({ challenge, channel_binding: 'tls-unique' }, channel), '66'.repeat(32));
  });

  it('computes the channel ID as the router does: its signature is welcome on that connection and refused on another', { skip: skipTls }, async () => {
    const [first, second] = await tlsPairs(2);
    const clientIds = [first!, second!].map(({ client }) => tlsUniqueChannelId(client, 'client'));
    assert.deepEqual(clientIds, [first!, second!].map(({ server }) => tlsUniqueChannelId(server)));
    assert.notEqual(clientIds[0], clientIds[1], 'each connection has its own');

    const key = seed();
    const authenticator = (await linkAuthenticator({ method: 'cryptosign', privateKey: key }, () => clientIds[0]))();
    const pubkey = authenticator.authextra!.pubkey as string;
    const method = staticCryptosign({ rlink: { authorizedKeys: [pubkey], role: 'rlink' } });
    /** The router's side of a connection: HELLO as the link sends it, over that connection's transport. */
    const routerOn = async (socket: TLSSocket) => {
      const request = authRequest('cryptosign', 1, { authextra: authenticator.authextra });
      return challenged(method.begin({ ...request, transport: { ...request.transport, extra: withTlsDetails({}, socket) } }));
    };
    const onFirst = await routerOn(first!.server);
    const welcome = await onFirst.verify(authenticate(await authenticator.respond('cryptosign', onFirst.extra)));
    assert.equal(welcome.kind, 'welcome', JSON.stringify(welcome));

    // The same answer relayed to the router on the other connection (what a server in between would do) is refused.
    const onSecond = await routerOn(second!.server);
    const relayed = await onSecond.verify(authenticate(await authenticator.respond('cryptosign', onSecond.extra)));
    assert.equal(relayed.kind, 'fail', JSON.stringify(relayed));
  });
});
