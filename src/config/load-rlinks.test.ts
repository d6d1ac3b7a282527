import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffConfig } from '../node/reload/config-diff.js';
import { rlinkLimitDefaults } from './schema-rlink.js';
import { configDocument, loadDocument, plain, problemsOf, realmWithRoles } from './test-support.js';

function withLinks(rlinks: unknown[]): Record<string, unknown> {
  return configDocument({ realms: [{ ...realmWithRoles('realm1', ['anonymous']), rlinks }] });
}

const websocketTransport = { type: 'websocket', endpoint: { type: 'tcp', host: 'node2.internal', port: 8080 }, url: 'ws://node2.internal:8080/ws' };

describe('rlinks: Crossbar\'s router link keys and their model', () => {
  it('a link with only realm and transport: Crossbar\'s defaults (every forward_* on, rlinkNNN, the node key beside the config)', () => {
    assert.deepEqual(plain(loadDocument(withLinks([{ realm: 'realm1', transport: websocketTransport }])).rlinks), [{
      id: 'rlink000', localRealm: 'realm1', realm: 'realm1',
      transport: { kind: 'websocket', endpoint: { kind: 'tcp', host: 'node2.internal', port: 8080, timeoutMs: 10_000 }, url: 'ws://node2.internal:8080/ws', serializers: ['json', 'msgpack', 'cbor'] },
      auth: { method: 'cryptosign' },
      excludeAuthid: [], forwardLocalEvents: true, forwardRemoteEvents: true, forwardLocalInvocations: true, forwardRemoteInvocations: true,
      limits: rlinkLimitDefaults, nodeKeyFile: '/srv/junction/key.priv',
    }]);
  });

  it('Crossbar\'s test config: a RawSocket link with authid, exclusions, directions and limits as written', () => {
    const [link] = loadDocument(withLinks([
      { realm: 'realm1', transport: websocketTransport },
      {
        id: 'node0_to_node1', realm: 'other', authid: 'node0', exclude_authid: ['node1'],
        forward_local_invocations: true, forward_remote_invocations: false, forward_local_events: true, forward_remote_events: false,
        transport: { type: 'rawsocket', serializer: 'cbor', endpoint: { type: 'tcp', host: 'localhost', port: 8091, timeout: 3 }, url: 'rs://localhost:8091' },
        limits: { max_calls_in_flight: 5, max_call_bytes_in_flight: 4096, max_events_in_flight: 6, max_event_bytes_in_flight: 0, max_subscriptions: 0, max_registrations: 7, max_message_size: 65_536, max_buffered_bytes: 1_000_000 },
      },
    ])).rlinks.slice(1);
    assert.deepEqual(plain(link), {
      id: 'node0_to_node1', localRealm: 'realm1', realm: 'other', authid: 'node0', auth: { method: 'cryptosign' },
      transport: { kind: 'rawsocket', endpoint: { kind: 'tcp', host: 'localhost', port: 8091, timeoutMs: 3000 }, serializer: 'cbor' },
      excludeAuthid: ['node1'], forwardLocalEvents: true, forwardRemoteEvents: false, forwardLocalInvocations: true, forwardRemoteInvocations: false,
      limits: { maxCallsInFlight: 5, maxCallBytesInFlight: 4096, maxEventsInFlight: 6, maxEventBytesInFlight: 0, maxSubscriptions: 0, maxRegistrations: 7, maxMessageSize: 65_536, maxBufferedBytes: 1_000_000 }, nodeKeyFile: '/srv/junction/key.priv',
    });
  });

  it('Junction\'s auth extension: a ticket, WAMP-CRA or SCRAM with the link\'s authid instead of the node key', () => {
    const links = loadDocument(withLinks([
      { realm: 'realm1', transport: websocketTransport, authid: 'node1', auth: { ticket: { ticket: 't1' } } },
      { realm: 'realm1', transport: websocketTransport, authid: 'node1', auth: { wampcra: { secret: 's1' } } },
      { realm: 'realm1', transport: websocketTransport, authid: 'node1', auth: { scram: { password: 'p1' } } },
    ])).rlinks;
    assert.deepEqual(plain(links.map((link) => link.auth)), [
      { method: 'ticket', authid: 'node1', ticket: 't1' },
      { method: 'wampcra', authid: 'node1', secret: 's1' },
      { method: 'scram', authid: 'node1', password: 'p1' },
    ]);
    const at = 'workers[0].realms[0].rlinks';
    assert.deepEqual(problemsOf(withLinks([
      { realm: 'realm1', transport: websocketTransport, auth: { ticket: { ticket: 't1' } } },
      { realm: 'realm1', transport: websocketTransport, authid: 'node1', auth: { ticket: { ticket: 't1' }, wampcra: { secret: 's1' } } },
      { realm: 'realm1', transport: websocketTransport, authid: 'node1', auth: { cryptosign: {} } },
    ])).map((line) => line.replace(/ \[config\.[a-z_]+\]$/, '')), [
      `${at}[0].authid: a link that signs in with "auth" needs its "authid"`,
      `${at}[1].auth: expected exactly one of "ticket", "wampcra", "scram"`,
      `${at}[2].auth.cryptosign: unknown key "cryptosign"`,
      `${at}[2].auth: expected exactly one of "ticket", "wampcra", "scram"`,
    ]);
  });

  it('a Unix socket endpoint, resolved against the config folder', () => {
    const [link] = loadDocument(withLinks([{ realm: 'realm1', transport: { ...websocketTransport, endpoint: { type: 'unix', path: 'run/node2.sock' } } }])).rlinks;
    assert.deepEqual(plain(link!.transport.endpoint), { kind: 'unix', path: '/srv/junction/run/node2.sock', timeoutMs: 10_000 });
  });

  it('TLS as Crossbar\'s connecting endpoints take it: the name to verify (default: the host), authorities and client certificate from the config folder', () => {
    const tls = { hostname: 'node2.example', ca_certificates: ['tls/ca.crt'], certificate: '/etc/junction/node1.crt', key: 'tls/node1.key' };
    const [wss, rss] = loadDocument(withLinks([
      { realm: 'realm1', transport: { ...websocketTransport, url: 'wss://node2.example/ws', endpoint: { type: 'tcp', host: '10.0.0.2', port: 443, tls } } },
      { realm: 'realm1', transport: { type: 'rawsocket', serializer: 'cbor', url: 'rss://node2.internal:8091', endpoint: { type: 'tcp', host: 'node2.internal', port: 8091, tls: {} } } },
    ])).rlinks;
    assert.deepEqual(plain(wss!.transport.endpoint), {
      kind: 'tcp', host: '10.0.0.2', port: 443, timeoutMs: 10_000,
      tls: { servername: 'node2.example', caCertificates: ['/srv/junction/tls/ca.crt'], certificate: '/etc/junction/node1.crt', key: '/srv/junction/tls/node1.key' },
    });
    assert.deepEqual(plain(rss!.transport.endpoint), { kind: 'tcp', host: 'node2.internal', port: 8091, timeoutMs: 10_000, tls: { servername: 'node2.internal' } });
  });

  it('refuses what Junction does not do, and malformed links, each with what was expected', () => {
    const at = 'workers[0].realms[0].rlinks';
    assert.deepEqual(problemsOf(withLinks([
      { transport: websocketTransport },
      { realm: 'realm1', transport: { ...websocketTransport, url: 'wss://node2.internal/ws' } },
      { realm: 'realm1', transport: { ...websocketTransport, endpoint: { type: 'tcp', host: 'node2', port: 443, tls: { certificate: 'node1.crt', ciphers: 'HIGH' } } } },
      { realm: 'realm1', transport: { type: 'rawsocket', serializer: 'ubjson', endpoint: { type: 'tcp', host: 'node2', port: 0 } } },
      { realm: 'realm1', transport: { type: 'mqtt', endpoint: { type: 'tcp', host: 'node2', port: 1883 } } },
      { realm: 'realm1', transport: websocketTransport, forward_local_events: 'yes', exclude: [] },
    ])).map((line) => line.replace(/ \[config\.[a-z_]+\]$/, '')), [
      `${at}[0].realm: missing (expected string)`,
      `${at}[1].transport.endpoint: a wss:// URL needs the endpoint's "tls" (the connection goes to the endpoint; without "tls" it would not be encrypted)`,
      `${at}[2].transport.endpoint.tls.ciphers: unknown key "ciphers"`,
      `${at}[2].transport.endpoint.tls: a client certificate needs both "certificate" and "key"`,
      `${at}[3].transport.endpoint.port: expected a port from 1 to 65535`,
      `${at}[3].transport.serializer: expected one of "json", "msgpack", "cbor"`,
      `${at}[4].transport.type: unknown connecting transport type "mqtt" (expected "websocket" or "rawsocket")`,
      `${at}[5].forward_local_events: expected boolean, got string`,
      `${at}[5].exclude: unknown key "exclude"`,
    ]);
  });

  it('refuses two links of a realm with one name (given, or Crossbar\'s default)', () => {
    assert.deepEqual(problemsOf(withLinks([
      { realm: 'realm1', transport: websocketTransport },
      { id: 'rlink000', realm: 'realm1', transport: websocketTransport },
    ])).map((line) => line.replace(/ \[config\.[a-z_]+\]$/, '')), ['workers[0].realms[0].rlinks[1].id: two router links of this realm are named "rlink000"']);
  });

  it('a reload that changes links says they apply from the next restart', () => {
    const before = loadDocument(withLinks([]));
    const after = loadDocument(withLinks([{ realm: 'realm1', transport: websocketTransport }]));
    assert.ok(diffConfig(before, after).fixed.some((line) => line.includes('"rlinks"')));
    assert.ok(!diffConfig(after, after).fixed.some((line) => line.includes('"rlinks"')));
  });
});
