import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as connectUnix, Server as NetServer, type ListenOptions } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect as connectTls } from 'node:tls';
import mqtt from 'mqtt';
import { generate, parser as createParser, type Packet } from 'mqtt-packet';
import WebSocket from 'ws';
import { parseConfig } from '../../src/config/load.js';
import { startNode, type RunningNode } from '../../src/node/node.js';
import { silentLogger } from '../../src/router/log.js';
import { openssl, skipTls } from '../support/tls.js';
import { RawSocketClient } from './rawsocket-client.js';

/**
 * Every endpoint option is honoured by every transport type: `backlog` reaches listen(),
 * `tls.ciphers` limits what a client may negotiate, `tls.dhparam` enables DHE ciphers (Node
 * leaves DHE off without parameters) and `tls.chain_certificates` are sent to clients. One
 * transport of each type, each plain and with TLS, all with the same endpoint settings.
 */

const dir = mkdtempSync(join(tmpdir(), 'junction-endpoint-'));
const file = (name: string): string => join(dir, name);
// root -> intermediate -> server certificate; clients trust the root only, so they verify the
// server only when the endpoint sends the intermediate (tls.chain_certificates).
if (!skipTls) {
  writeFileSync(file('ca.ext'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n');
  writeFileSync(file('server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('root.key'), '-out', file('root.crt'), '-days', '1', '-subj', '/CN=test root',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign');
  for (const [name, issuer, extensions] of [['intermediate', 'root', 'ca.ext'], ['server', 'intermediate', 'server.ext']] as const) {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`), '-subj', `/CN=${name}`);
    openssl('x509', '-req', '-in', file(`${name}.csr`), '-CA', file(`${issuer}.crt`), '-CAkey', file(`${issuer}.key`), '-CAcreateserial',
      '-out', file(`${name}.crt`), '-days', '1', '-extfile', file(extensions));
  }
  openssl('genpkey', '-genparam', '-algorithm', 'DH', '-pkeyopt', 'group:ffdhe2048', '-out', file('dh.pem'));
}
const rootCertificate = skipTls ? Buffer.alloc(0) : readFileSync(file('root.crt'));

const allowed = 'ECDHE-RSA-AES128-GCM-SHA256';
const allowedDhe = 'DHE-RSA-AES128-GCM-SHA256';
/** On by default in Node, left out of the endpoint's list. */
const outsideTheList = 'ECDHE-RSA-AES256-GCM-SHA384';
const backlog = 7;

const endpoint = (tls: boolean) => ({
  type: 'tcp', port: 0, interface: '127.0.0.1', backlog,
  ...(tls
    ? { tls: { key: file('server.key'), certificate: file('server.crt'), chain_certificates: [file('intermediate.crt')], ciphers: `${allowed}:${allowedDhe}`, dhparam: file('dh.pem') } }
    : {}),
});
const transportTypes = ['websocket', 'web', 'universal', 'rawsocket', 'pusher', 'mqtt'] as const;
const transport = (type: (typeof transportTypes)[number], tls: boolean) => {
  const id = `${type}_${tls ? 'tls' : 'plain'}`;
  switch (type) {
    case 'websocket': return { type, id, endpoint: endpoint(tls) };
    case 'web': return { type, id, endpoint: endpoint(tls), paths: { ws: { type: 'websocket' } } };
    case 'universal': return { type, id, endpoint: endpoint(tls), rawsocket: {}, websocket: { ws: {} } };
    case 'rawsocket': return { type, id, endpoint: endpoint(tls) };
    case 'pusher': return { type, id, endpoint: endpoint(tls), apps: [{ id: 'app1', key: 'app-key', secret: 'secret', realm: 'realm1', role: 'anonymous' }] };
    case 'mqtt': return { type, id, endpoint: endpoint(tls), options: { realm: 'realm1' } };
  }
};

const document = {
  version: 2,
  workers: [{
    type: 'router',
    realms: [{ name: 'realm1', roles: [{ name: 'anonymous', permissions: [{ uri: '*', allow: { subscribe: true } }] }] }],
    transports: transportTypes.flatMap((type) => [transport(type, false), transport(type, true)]),
  }],
};

// Half of its transports use TLS: without openssl, the whole suite skips.
describe('endpoint options reach every transport type', { skip: skipTls }, () => {
  let node: RunningNode;
  const listenCalls: ListenOptions[] = [];
  const realListen = NetServer.prototype.listen;

  before(async () => {
    // Every server of the node (http, https, net, tls) is a net.Server: record what it is asked to bind.
    NetServer.prototype.listen = function (this: NetServer, ...args: unknown[]) {
      if (typeof args[0] === 'object' && args[0] !== null) listenCalls.push(args[0] as ListenOptions);
      return (realListen as (...a: unknown[]) => NetServer).apply(this, args);
    } as typeof NetServer.prototype.listen;
    try {
      node = await startNode(parseConfig(document, { source: 'test', env: {} }), { log: silentLogger, shutdownGraceMs: 100 });
    } finally {
      NetServer.prototype.listen = realListen;
    }
  });
  after(async () => {
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const portOf = (id: string): number => node.ports.get(id)!;

  for (const type of transportTypes) {
    it(`${type}: backlog is passed to listen()`, () => {
      // Listeners bind one after another in the file's order, each asking for port 0.
      const calls = listenCalls.filter((call) => call.port === 0 && call.host === '127.0.0.1');
      assert.equal(calls.length, transportTypes.length * 2, 'one listen() per transport');
      const index = transportTypes.indexOf(type) * 2;
      assert.equal(calls[index]!.backlog, backlog);
      assert.equal(calls[index + 1]!.backlog, backlog);
    });

    it(`${type}: a TLS client offering only a cipher outside tls.ciphers is refused; one inside is served`, async () => {
      const port = portOf(`${type}_tls`);
      await assert.rejects(handshake(port, outsideTheList), /handshake failure|alert|ECONNRESET|socket hang up/i);
      assert.equal(await handshake(port, allowed), allowed);
    });

    it(`${type}: tls.dhparam enables DHE ciphers`, async () => {
      assert.equal(await handshake(portOf(`${type}_tls`), allowedDhe), allowedDhe);
    });

    it(`${type}: tls.chain_certificates are sent, so a client trusting only the root verifies the server`, async () => {
      assert.equal(await handshake(portOf(`${type}_tls`), allowed, { ca: rootCertificate }), allowed);
    });
  }

  it('the TLS endpoints still speak their protocols (WAMP over websocket and rawsocket, Pusher)', async () => {
    const ws = new WebSocket(`wss://127.0.0.1:${portOf('web_tls')}/ws`, 'wamp.2.json', { rejectUnauthorized: false });
    const protocol = await new Promise<string>((resolve, reject) => {
      ws.once('open', () => resolve(ws.protocol));
      ws.once('error', reject);
    });
    ws.close();
    assert.equal(protocol, 'wamp.2.json');
    const raw = await RawSocketClient.open({ port: portOf('rawsocket_tls'), tls: true }, { serializer: 'json' });
    raw.close();
    const pusher = new WebSocket(`wss://127.0.0.1:${portOf('pusher_tls')}/app/app-key?protocol=7`, { rejectUnauthorized: false });
    const greeting = await new Promise<string>((resolve, reject) => {
      pusher.once('message', (data) => resolve(JSON.parse(data.toString()).event));
      pusher.once('error', reject);
    });
    pusher.close();
    assert.equal(greeting, 'pusher:connection_established');
  });

  it('the TLS endpoint of an mqtt transport speaks MQTT', async () => {
    const client = await mqtt.connectAsync(`mqtts://127.0.0.1:${portOf('mqtt_tls')}`, { ca: rootCertificate, reconnectPeriod: 0 });
    assert.equal(client.connected, true);
    await client.endAsync();
  });
});

/** Completes a TLS 1.2 handshake offering only `cipher` (verifying the server against `ca` when given); resolves to the cipher negotiated. */
function handshake(port: number, cipher: string, verify: { ca?: Buffer } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const trust = verify.ca === undefined ? { rejectUnauthorized: false } : { ca: [verify.ca], rejectUnauthorized: true };
    const socket = connectTls({ host: '127.0.0.1', port, ciphers: cipher, maxVersion: 'TLSv1.2', ...trust }, () => {
      const name = socket.getCipher().name;
      socket.destroy();
      resolve(name);
    });
    socket.once('error', reject);
    socket.setTimeout(5_000, () => socket.destroy(new Error('TLS handshake timed out')));
  });
}

describe('a websocket transport on a Unix socket (as behind nginx on the same host)', () => {
  it('serves WAMP over WebSocket there and removes the socket file at stop', async () => {
    const socketDir = mkdtempSync(join(tmpdir(), 'junction-unix-'));
    const path = join(socketDir, 'ws.sock');
    const config = parseConfig(
      {
        version: 2,
        workers: [{
          type: 'router',
          realms: [{ name: 'realm1', roles: [{ name: 'anonymous', permissions: [{ uri: '*', allow: { subscribe: true } }] }] }],
          transports: [{ type: 'websocket', endpoint: { type: 'unix', path } }],
        }],
      },
      { source: 'test', env: {} },
    );
    const node = await startNode(config, { log: silentLogger, shutdownGraceMs: 100 });
    try {
      assert.deepEqual(node.services, [{ url: `ws://unix:${path}/`, service: 'websocket' }]);
      const ws = new WebSocket(`ws+unix://${path}:/`, 'wamp.2.json');
      const welcome = await new Promise<unknown>((resolve, reject) => {
        ws.once('open', () => ws.send(JSON.stringify([1, 'realm1', { roles: { subscriber: {} } }])));
        ws.once('message', (data) => resolve(JSON.parse(String(data))));
        ws.once('error', reject);
      });
      ws.close();
      assert.equal((welcome as unknown[])[0], 2, 'WELCOME');
    } finally {
      await node.stop();
    }
    assert.equal(existsSync(path), false, 'the socket file is gone');
    rmSync(socketDir, { recursive: true, force: true });
  });
});

describe('an mqtt transport on a Unix socket', () => {
  it('answers CONNECT there and removes the socket file at stop', async () => {
    const socketDir = mkdtempSync(join(tmpdir(), 'junction-unix-'));
    const path = join(socketDir, 'mqtt.sock');
    const config = parseConfig(
      {
        version: 2,
        workers: [{
          type: 'router',
          realms: [{ name: 'realm1', roles: [{ name: 'anonymous', permissions: [{ uri: '*', allow: { subscribe: true } }] }] }],
          transports: [{ type: 'mqtt', endpoint: { type: 'unix', path }, options: { realm: 'realm1' } }],
        }],
      },
      { source: 'test', env: {} },
    );
    const node = await startNode(config, { log: silentLogger, shutdownGraceMs: 100 });
    try {
      assert.deepEqual(node.services, [{ url: `mqtt://unix:${path}`, service: 'mqtt' }]);
      const socket = connectUnix({ path });
      const connack = await new Promise<Packet>((resolve, reject) => {
        const parser = createParser();
        parser.on('packet', resolve);
        socket.on('data', (chunk) => parser.parse(chunk));
        socket.once('error', reject);
        socket.write(generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'unix-device', clean: true, keepalive: 0 }));
      });
      socket.destroy();
      assert.deepEqual([connack.cmd, (connack as { returnCode?: number }).returnCode], ['connack', 0]);
    } finally {
      await node.stop();
    }
    assert.equal(existsSync(path), false, 'the socket file is gone');
    rmSync(socketDir, { recursive: true, force: true });
  });
});
