import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import autobahn from 'autobahn';
import WebSocket from 'ws';
import { parseConfig } from '../../src/config/load.js';
import { startNode, type RunningNode } from '../../src/node/node.js';
import { silentLogger } from '../../src/router/log.js';
import { selfSignedCertificate, skipTls } from '../support/tls.js';
import { ed25519KeyPair, hex } from './support/keys.js';

/**
 * WAMP-Cryptosign with the `tls-unique` channel binding over a real TLS WebSocket, as Crossbar
 * does it (and as a Crossbar router link asks for it): the client signs the challenge XORed with
 * the SHA-256 of the TLS Finished message it sent, which the router reads from its side of the
 * connection. A signature of the plain challenge, valid as it is, is then refused.
 */

const alice = ed25519KeyPair();
const folder = mkdtempSync(join(tmpdir(), 'junction-cryptosign-tls-'));
after(() => rmSync(folder, { recursive: true, force: true }));

describe('cryptosign with tls-unique channel binding over WSS', { skip: skipTls }, () => {
  let node: RunningNode;
  let certificate: Buffer;

  before(async () => {
    const files = selfSignedCertificate(folder)!;
    certificate = readFileSync(files.certificate);
    const everything = [{ uri: '', match: 'prefix', allow: { call: true, register: true, publish: true, subscribe: true } }];
    const document = {
      version: 2,
      workers: [{
        type: 'router',
        realms: [{ name: 'realm1', roles: [{ name: 'user', permissions: everything }] }],
        transports: [{
          type: 'websocket', id: 'wss',
          endpoint: { type: 'tcp', port: 0, interface: '127.0.0.1', tls: { key: files.key, certificate: files.certificate } },
          auth: { cryptosign: { type: 'static', principals: { alice: { authorized_keys: [hex(alice.publicKey)], role: 'user' } } } },
        }],
      }],
    };
    node = await startNode(parseConfig(document, { source: 'test', env: {} }), { log: silentLogger, shutdownGraceMs: 100 });
  });
  after(() => node?.stop());

  /** Signs in over WSS asking for tls-unique; `bound` chooses whether the signature covers the channel ID. The router's last answer. */
  async function signIn(bound: boolean): Promise<unknown[]> {
    const socket = new WebSocket(`wss://127.0.0.1:${node.ports.get('wss')}`, ['wamp.2.json'], { ca: certificate });
    try {
      await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
      const tls = (socket as unknown as { _socket: TLSSocket })._socket;
      const channelId = createHash('sha256').update(tls.getFinished()!).digest();
      const answers: unknown[][] = [];
      const settled = new Promise<unknown[]>((resolve, reject) => {
        socket.on('message', (data: Buffer) => {
          const message = JSON.parse(data.toString()) as unknown[];
          answers.push(message);
          if (message[0] === 4) {
            const challenge = Buffer.from((message[2] as { challenge: string }).challenge, 'hex');
            const signed = bound ? Buffer.from(challenge.map((byte, i) => byte ^ channelId[i]!)) : challenge;
            socket.send(JSON.stringify([5, autobahn.auth_cryptosign.sign_challenge(alice, { challenge: signed.toString('hex') }), {}]));
          } else {
            resolve(message);
          }
        });
        socket.once('close', () => reject(new Error(`closed after ${JSON.stringify(answers)}`)));
      });
      socket.send(JSON.stringify([1, 'realm1', {
        roles: { caller: {} }, authmethods: ['cryptosign'], authid: 'alice',
        authextra: { pubkey: hex(alice.publicKey), channel_binding: 'tls-unique' },
      }]));
      const last = await settled;
      assert.equal((answers[0] as [number, string, { channel_binding: unknown }])[2].channel_binding, 'tls-unique', 'the CHALLENGE names the binding');
      return last;
    } finally {
      socket.terminate();
    }
  }

  it('welcomes the signature of the challenge XORed with the channel ID', async () => {
    const welcome = await signIn(true);
    assert.equal(welcome[0], 2, JSON.stringify(welcome));
    assert.equal((welcome[2] as { authid: string }).authid, 'alice');
  });

  it('refuses a signature of the plain challenge: it was not made on this connection', async () => {
    const abort = await signIn(false);
    assert.deepEqual([abort[0], abort[2]], [3, 'wamp.error.authentication_failed'], JSON.stringify(abort));
  });
});
