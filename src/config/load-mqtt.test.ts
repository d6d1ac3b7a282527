import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MqttService } from './model.js';
import { configDocument, loadDocument, plain, problemsOf, serviceAt, webDocument } from './test-support.js';

/** Every default of an MQTT transport's model, spelled out (not taken from the schema). */
const defaults = {
  maxPacketSize: 1048576,
  receiveMaximum: 100,
  maxInflight: 100,
  maxInflightBytes: 1048576,
  maxQueuedMessages: 1000,
  maxQueuedBytes: 4194304,
  maxTotalQueuedBytes: 268435456,
  maxTotalWillBytes: 16777216,
  maxNoLocalHeld: 1000,
  maxNoLocalHeldBytes: 1048576,
  maxSubscriptions: 100,
  maxConnections: 10000,
  maxPerAddress: 1000,
  maxSessions: 10000,
  connectionRate: 100,
  maxSessionExpiry: 86400,
  openHandshakeTimeout: 10000,
  maxBufferedBytes: 4194304,
  codecTimeout: 5000,
  maxCodecCallsPerConnection: 100,
  maxCodecCalls: 1000,
};

const ticket = { type: 'static', principals: { device1: { ticket: 'secret', role: 'backend' } } };

function mqttOf(transport: Record<string, unknown>): MqttService {
  const listener = plain(loadDocument(configDocument({ transports: [transport] })).listeners[0]!);
  assert.equal(listener.kind, 'mqtt');
  return listener.mqtt!;
}

function problemsWith(transport: Record<string, unknown>): string[] {
  return problemsOf(configDocument({ transports: [transport] }));
}

describe('mqtt transports', () => {
  it("reads Crossbar's example as it is: realm, role, payload_mapping by prefix", () => {
    const mqtt = mqttOf({
      type: 'mqtt',
      endpoint: { type: 'tcp', port: 1883 },
      options: {
        realm: 'realm1',
        role: 'backend',
        payload_mapping: { '': { type: 'native', serializer: 'json' }, 'raw.': { type: 'passthrough' }, 'cbor.': { type: 'native', serializer: 'cbor' } },
      },
    });
    assert.deepEqual(mqtt, {
      realm: 'realm1',
      payloadMapping: { '': { type: 'native', serializer: 'json' }, 'raw.': { type: 'passthrough' }, 'cbor.': { type: 'native', serializer: 'cbor' } },
      auth: { anonymous: { type: 'static', role: 'backend' } },
      ...defaults,
    });
  });

  it('defaults: anonymous with role "anonymous", native JSON for every topic', () => {
    const mqtt = mqttOf({ type: 'mqtt', endpoint: { type: 'tcp', port: 1883 }, options: { realm: 'realm1' } });
    assert.deepEqual(mqtt.auth, { anonymous: { type: 'static', role: 'anonymous' } });
    assert.deepEqual(mqtt.payloadMapping, { '': { type: 'native', serializer: 'json' } });
  });

  it('takes auth from options.auth (where Crossbar reads it) and from a top-level auth', () => {
    const inOptions = mqttOf({ type: 'mqtt', endpoint: { type: 'tcp', port: 1883 }, options: { realm: 'realm1', auth: { ticket } } });
    const topLevel = mqttOf({ type: 'mqtt', endpoint: { type: 'tcp', port: 1883 }, options: { realm: 'realm1' }, auth: { ticket } });
    const expected = { ticket: { type: 'static', principals: { device1: { ticket: 'secret', role: 'backend' } } } };
    assert.deepEqual(inOptions.auth, expected);
    assert.deepEqual(topLevel.auth, expected);
  });

  it("reads Junction's limits from options", () => {
    const mqtt = mqttOf({
      type: 'mqtt',
      endpoint: { type: 'tcp', port: 1883 },
      options: {
        realm: 'realm1', max_packet_size: 4096, receive_maximum: 10, max_inflight: 5, max_queued_messages: 50, max_queued_bytes: 65536, max_subscriptions: 8,
        max_connections: 20, max_per_address: 2, max_sessions: 30, connection_rate: 7, max_session_expiry: 60, open_handshake_timeout: 500, max_buffered_bytes: 2048,
        max_inflight_bytes: 4000, max_total_queued_bytes: 5000, max_total_will_bytes: 6000,
        codec_timeout: 700, max_codec_calls_per_connection: 3, max_codec_calls: 9, max_no_local_held: 4, max_no_local_held_bytes: 512,
      },
    });
    assert.deepEqual(mqtt, {
      ...mqtt,
      maxPacketSize: 4096, receiveMaximum: 10, maxInflight: 5, maxQueuedMessages: 50, maxQueuedBytes: 65536, maxSubscriptions: 8, maxConnections: 20, maxPerAddress: 2,
      maxSessions: 30, connectionRate: 7, maxSessionExpiry: 60, openHandshakeTimeout: 500, maxBufferedBytes: 2048,
      maxInflightBytes: 4000, maxTotalQueuedBytes: 5000, maxTotalWillBytes: 6000,
      codecTimeout: 700, maxCodecCallsPerConnection: 3, maxCodecCalls: 9, maxNoLocalHeld: 4, maxNoLocalHeldBytes: 512,
    });
  });

  it("reads Crossbar's dynamic example: encoder and decoder procedures, called in the transport's realm unless the format names one", () => {
    const dynamic = { type: 'dynamic', encoder: 'com.example.mqtt.encode', decoder: 'com.example.mqtt.decode' };
    const document = configDocument({ transports: [{ type: 'mqtt', endpoint: { type: 'tcp', port: 1883 }, options: { realm: 'realm1', payload_mapping: { '': dynamic, 'other.': { ...dynamic, realm: 'realm2' } } } }] });
    (document.workers as { realms: unknown[] }[])[0]!.realms.push({ name: 'realm2', roles: [] });
    const listener = plain(loadDocument(document).listeners[0]!);
    assert.deepEqual(listener.mqtt?.payloadMapping, { '': { ...dynamic, realm: 'realm1' }, 'other.': { ...dynamic, realm: 'realm2' } });
  });

  it('refuses a dynamic format without both procedures, with a bad procedure URI, or in an undefined realm', () => {
    const endpoint = { type: 'tcp', port: 1883 };
    const mapping = (format: Record<string, unknown>) => problemsWith({ type: 'mqtt', endpoint, options: { realm: 'realm1', payload_mapping: { 'dyn.': { type: 'dynamic', ...format } } } });
    assert.deepEqual(mapping({ encoder: 'a.b' }), ['workers[0].transports[0].options.payload_mapping["dyn."].decoder: missing (expected string)']);
    assert.match(mapping({ encoder: 'a.b', decoder: 'a..b' })[0]!, /^workers\[0\]\.transports\[0\]\.options\.payload_mapping\["dyn\."\]\.decoder: /);
    assert.deepEqual(mapping({ encoder: 'a.b', decoder: 'a.c', realm: 'nowhere' }), [
      'workers[0].transports[0].options.payload_mapping["dyn."].realm: realm "nowhere" is not defined in this configuration',
    ]);
    assert.deepEqual(mapping({ encoder: 'a.b', decoder: 'a.c', serializer: 'json' }).length, 1);
    assert.match(problemsWith({ type: 'mqtt', endpoint, options: { realm: 'realm1', payload_mapping: { '': { type: 'dynamc' } } } })[0]!, /did you mean "dynamic"\?/);
  });

  it('never lets an auth or a role be silently ignored', () => {
    assert.deepEqual(problemsWith({ type: 'mqtt', endpoint: { type: 'tcp', port: 1883 }, options: { realm: 'realm1', auth: { ticket } }, auth: { ticket } }), [
      'workers[0].transports[0].auth: give auth once: here or in options.auth',
    ]);
    assert.deepEqual(problemsWith({ type: 'mqtt', endpoint: { type: 'tcp', port: 1883 }, options: { realm: 'realm1', role: 'backend', auth: { ticket } } }), [
      'workers[0].transports[0].options.role: options.role is the role of anonymous clients when no auth is given; with auth, set it as auth.anonymous.role',
    ]);
  });

  it('refuses what an MQTT client cannot do or what the file does not define', () => {
    const endpoint = { type: 'tcp', port: 1883 };
    assert.deepEqual(problemsWith({ type: 'mqtt', endpoint, options: { realm: 'realm1', auth: { wampcra: { type: 'static', users: {} } } } }), [
      'workers[0].transports[0].options.auth.wampcra: an MQTT transport offers anonymous, ticket and tls authentication only (an MQTT client cannot answer a wampcra challenge)',
    ]);
    assert.deepEqual(problemsWith({ type: 'mqtt', endpoint, options: { realm: 'nowhere' } }), [
      'workers[0].transports[0].options.realm: realm "nowhere" is not defined in this configuration',
    ]);
    assert.deepEqual(problemsWith({ type: 'mqtt', endpoint, options: { realm: 'realm1', role: 'ghost' } }), [
      'workers[0].transports[0].options.role: role "ghost" is not defined in realm "realm1" (the role of anonymous MQTT clients when "auth" is not given); add the role or give "auth"',
    ]);
    assert.match(problemsWith({ type: 'mqtt', endpoint, options: { realm: 'realm1', max_packet_size: 300000000 } })[0]!, /at most 268435455 bytes/);
    assert.match(problemsWith({ type: 'mqtt', endpoint, options: { realm: 'realm1', max_no_local_held: 0 } })[0]!, /^workers\[0\]\.transports\[0\]\.options\.max_no_local_held: /);
    assert.match(problemsWith({ type: 'mqtt', endpoint, options: { realm: 'realm1', max_no_local_held_bytes: '1 MiB' } })[0]!, /^workers\[0\]\.transports\[0\]\.options\.max_no_local_held_bytes: /);
    assert.match(problemsWith({ type: 'mqtt', endpoint, options: {} })[0]!, /options\.realm/);
  });

  it('tls authentication: Crossbar\'s certificate-sha1 principals, CN principals, roles of the realm, and the endpoint\'s ca_certificates', () => {
    const endpoint = { type: 'tcp', port: 8883, tls: { key: 'server.key', certificate: 'server.crt', ca_certificates: ['ca.crt'] } };
    const tls = { type: 'static', principals: { boiler: { 'certificate-sha1': 'B6:E5:E6:F2:2A:86:DB:3C:DC:9F:51:42:58:39:9B:14:92:5D:A1:EB', role: 'backend' }, 'sensor-1': { role: 'backend' } } };
    const document = configDocument({ transports: [{ type: 'mqtt', endpoint, options: { realm: 'realm1', auth: { tls } } }] });
    const listener = plain(loadDocument(document).listeners[0]!);
    assert.deepEqual(listener.mqtt!.auth, { tls: { type: 'static', principals: {
      boiler: { role: 'backend', certificateSha1: 'B6:E5:E6:F2:2A:86:DB:3C:DC:9F:51:42:58:39:9B:14:92:5D:A1:EB' }, 'sensor-1': { role: 'backend' },
    } } });
    assert.deepEqual(listener.endpoint.tls?.caCertificates, ['/srv/junction/ca.crt'], 'relative to the config file, as the other TLS files');
    assert.deepEqual(problemsWith({ type: 'mqtt', endpoint, options: { realm: 'realm1', auth: { tls: { type: 'static', principals: { x: { role: 'ghost' } } } } } }), [
      'workers[0].transports[0].options.auth.tls.principals.x.role: role "ghost" is not defined in realm "realm1"',
    ]);
    // An MQTT-over-WebSocket path reads the certificate of its TLS endpoint too.
    assert.match(problemsOf(webDocument({ mqtt: { type: 'mqtt', options: { realm: 'realm1' }, auth: { tls } } }))[0]!,
      /paths\.mqtt\.auth\.tls: tls authentication needs client certificates: give the endpoint tls\.ca_certificates/);
    const web = loadDocument(configDocument({ transports: [{ type: 'web', endpoint, paths: { mqtt: { type: 'mqtt', options: { realm: 'realm1' }, auth: { tls } } } }] }));
    assert.equal(serviceAt(web.listeners[0], '/mqtt', 'mqtt').auth.tls?.type, 'static');
  });

  it('an mqtt path of a web transport (MQTT over WebSocket): the same options and auth rules', () => {
    const listener = plain(loadDocument(webDocument({ mqtt: { type: 'mqtt', options: { realm: 'realm1', max_inflight: 7 }, auth: { ticket } } })).listeners[0]!);
    assert.deepEqual(listener.paths['/mqtt'], {
      type: 'mqtt',
      realm: 'realm1',
      payloadMapping: { '': { type: 'native', serializer: 'json' } },
      auth: { ticket: { type: 'static', principals: { device1: { ticket: 'secret', role: 'backend' } } } },
      ...defaults,
      maxInflight: 7,
    });
    assert.deepEqual(problemsOf(webDocument({ mqtt: { type: 'mqtt', options: { realm: 'realm1', role: 'ghost' } } })), [
      'workers[0].transports[0].paths.mqtt.options.role: role "ghost" is not defined in realm "realm1" (the role of anonymous MQTT clients when "auth" is not given); add the role or give "auth"',
    ]);
  });

  it("a universal transport's mqtt part (Crossbar's): MQTT on the web port, by its first octet", () => {
    const listener = plain(loadDocument(configDocument({
      transports: [{ type: 'universal', endpoint: { type: 'tcp', port: 8080 }, mqtt: { options: { realm: 'realm1' } }, web: { paths: { health: { type: 'health' } } } }],
    })).listeners[0]!);
    assert.equal(listener.kind, 'universal');
    assert.equal(listener.rawsocket, undefined);
    assert.deepEqual(listener.mqtt, { realm: 'realm1', payloadMapping: { '': { type: 'native', serializer: 'json' } }, auth: { anonymous: { type: 'static', role: 'anonymous' } }, ...defaults });
  });
});
