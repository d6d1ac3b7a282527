import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import mqtt, { type IClientOptions } from 'mqtt';
import { connect } from '../../src/client/index.js';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/problems.js';
import { startNode, type RunningNode } from '../../src/node/node.js';
import { silentLogger } from '../../src/router/log.js';
import { skipTls, TestCertificates } from '../support/tls.js';

/**
 * TLS client certificates sign MQTT devices in (auth "tls"): a certificate authority made with
 * openssl at test time signs the server's certificate and the devices'; one device is pinned by
 * its SHA-1 fingerprint (Crossbar's certificate-sha1), one signs in by its subject CN, and a
 * self-signed certificate, another CN, and no certificate are refused with CONNACK 5 / 0x87.
 */

const certificates = new TestCertificates(mkdtempSync(join(tmpdir(), 'junction-mqtt-tls-')));
const file = (name: string): string => certificates.file(name);

let pinnedSha1 = '';
if (!skipTls) {
  certificates.authority('ca', 'devices ca');
  certificates.server('server', 'ca');
  certificates.issue('kitchen', '/CN=sensor-kitchen', 'ca'); // signs in by CN
  certificates.issue('boiler', '/CN=whatever-cn', 'ca'); // pinned by fingerprint
  certificates.issue('stranger', '/CN=sensor-stranger', 'ca'); // trusted, but no principal
  certificates.issue('rogue', '/CN=sensor-kitchen'); // the kitchen's CN, self-signed
  pinnedSha1 = certificates.sha1('boiler');
}

function documentWith(tls: Record<string, unknown>, auth: Record<string, unknown>) {
  return {
    version: 2,
    workers: [{
      type: 'router',
      realms: [{ name: 'realm1', roles: [
        { name: 'device', permissions: [{ uri: '', match: 'prefix', allow: { publish: true, subscribe: true } }] },
        { name: 'anonymous', permissions: [{ uri: '', match: 'prefix', allow: { subscribe: true, call: true } }] },
      ] }],
      transports: [
        { type: 'websocket', id: 'wamp', endpoint: { type: 'tcp', port: 0, interface: '127.0.0.1' } },
        { type: 'mqtt', id: 'mqtts', endpoint: { type: 'tcp', port: 0, interface: '127.0.0.1', tls }, options: { realm: 'realm1', auth } },
        { type: 'web', id: 'web', endpoint: { type: 'tcp', port: 0, interface: '127.0.0.1', tls }, paths: { mqtt: { type: 'mqtt', options: { realm: 'realm1', auth } } } },
      ],
    }],
  };
}

const serverTls = () => ({ key: file('server.key'), certificate: file('server.crt'), ca_certificates: [file('ca.crt')] });
const tlsAuth = {
  tls: { type: 'static', principals: { 'sensor-kitchen': { role: 'device' }, boiler: { 'certificate-sha1': pinnedSha1, role: 'device' } } },
};

describe('MQTT devices signed in by TLS client certificate', { skip: skipTls }, () => {
  let node: RunningNode;
  before(async () => {
    node = await startNode(parseConfig(documentWith(serverTls(), tlsAuth), { source: 'test', env: {} }), { log: silentLogger, shutdownGraceMs: 100 });
  });
  after(async () => {
    await node?.stop();
    rmSync(certificates.dir, { recursive: true, force: true });
  });

  const options = (device?: string, version: 4 | 5 = 5): IClientOptions => ({
    protocolVersion: version, reconnectPeriod: 0, connectTimeout: 5_000, ...certificates.clientOptions(device, 'ca'),
  });
  const url = () => `mqtts://127.0.0.1:${node.ports.get('mqtts')}`;

  /** The CONNACK code of a refused CONNECT (MQTT.js rejects with it). */
  async function refusal(clientOptions: IClientOptions): Promise<number | undefined> {
    try {
      const client = await mqtt.connectAsync(url(), clientOptions);
      await client.endAsync(true);
      return undefined;
    } catch (error) {
      return (error as { code?: number }).code;
    }
  }

  it('a certificate signs the device in: authid from the subject CN, or from the pinned fingerprint', async () => {
    const wamp = await connect({ url: `ws://127.0.0.1:${node.ports.get('wamp')}`, realm: 'realm1', reconnect: false });
    try {
      for (const [device, authid] of [['kitchen', 'sensor-kitchen'], ['boiler', 'boiler']] as const) {
        const client = await mqtt.connectAsync(url(), { ...options(device), clientId: `tls-${device}` });
        try {
          const ids = await wamp.call<[], {}, [number[]]>('wamp.session.list');
          const sessions = await Promise.all(ids.args[0].map(async (id) => (await wamp.call('wamp.session.get', [id])).args[0] as Record<string, any>));
          const session = sessions.find((entry: Record<string, any>) => entry.transport?.extra?.client_id === `tls-${device}`);
          assert.ok(session, `the ${device} session is listed`);
          assert.equal(session.authid, authid);
          assert.equal(session.authmethod, 'tls');
          assert.equal(session.authrole, 'device');
          assert.equal(session.transport.extra.client_cert.authorized, true);
          await client.publishAsync(`readings/${device}`, '{"args": [1]}', { qos: 1 }); // the device role may publish
        } finally {
          await client.endAsync();
        }
      }
    } finally {
      await wamp.leave();
    }
  });

  it('MQTT over WebSocket on a TLS web transport signs in by the same certificate', async () => {
    const client = await mqtt.connectAsync(`wss://127.0.0.1:${node.ports.get('web')}/mqtt`, { ...options('kitchen'), clientId: 'tls-ws-kitchen' });
    try {
      await client.publishAsync('readings/ws', '{"args": [1]}', { qos: 1 }); // the device role may publish; anonymous may not
    } finally {
      await client.endAsync();
    }
    const refused = await mqtt.connectAsync(`wss://127.0.0.1:${node.ports.get('web')}/mqtt`, { ...options(), clientId: 'tls-ws-none' })
      .then(async (other) => { await other.endAsync(true); return undefined; }, (error: { code?: number }) => error.code);
    assert.equal(refused, 0x87, 'no certificate');
  });

  it('ca_certificates without tls authentication: the TLS handshake refuses a device without a trusted certificate, as Crossbar; a trusted one connects anonymously', async () => {
    const anonymous = await startNode(parseConfig(documentWith(serverTls(), { anonymous: { type: 'static', role: 'anonymous' } }), { source: 'test', env: {} }), { log: silentLogger, shutdownGraceMs: 100 });
    try {
      const at = `mqtts://127.0.0.1:${anonymous.ports.get('mqtts')}`;
      for (const device of [undefined, 'rogue']) {
        // TLS 1.3 finishes the client's side of the handshake before the server reads its certificate:
        // the refusal is the connection closing (or erring) before any CONNACK.
        const client = mqtt.connect(at, options(device));
        const outcome = await new Promise<string>((resolve) => {
          client.once('connect', () => resolve('connected'));
          client.once('error', (error: Error & { code?: unknown }) => resolve(typeof error.code === 'number' ? `CONNACK ${error.code}` : 'closed'));
          client.once('close', () => resolve('closed'));
        });
        await client.endAsync(true);
        assert.equal(outcome, 'closed', device ?? 'no certificate');
      }
      const client = await mqtt.connectAsync(at, options('stranger'));
      assert.ok(client.connected);
      await client.endAsync(true);
    } finally {
      await anonymous.stop();
    }
  });

  it('refuses a missing, untrusted or unknown certificate with CONNACK 0x87 (MQTT 5) and 5 (MQTT 3.1.1)', async () => {
    for (const version of [5, 4] as const) {
      const expected = version === 5 ? 0x87 : 5;
      assert.equal(await refusal(options(undefined, version)), expected, 'no certificate');
      assert.equal(await refusal(options('rogue', version)), expected, 'a self-signed certificate with a known CN');
      assert.equal(await refusal(options('stranger', version)), expected, 'a trusted certificate of no principal');
    }
  });
});

describe('TLS client certificate configuration', { skip: skipTls }, () => {
  const problems = (tls: Record<string, unknown>, auth: Record<string, unknown>): string => {
    try {
      parseConfig(documentWith(tls, auth), { source: 'test', env: {} });
      return '';
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      return error.message;
    }
  };

  it('tls authentication needs ca_certificates; ca_certificates without it loads (the handshake then requires the certificate)', () => {
    const withoutCa = { key: file('server.key'), certificate: file('server.crt') };
    assert.match(problems(withoutCa, tlsAuth), /auth\.tls: tls authentication needs client certificates: give the endpoint tls\.ca_certificates/);
    assert.equal(problems(serverTls(), { anonymous: { type: 'static', role: 'anonymous' } }), '');
    assert.match(problems(serverTls(), { tls: { type: 'static', principals: { x: { 'certificate-sha1': 'abc', role: 'device' } } } }), /expected a SHA-1 fingerprint/);
  });
});
