import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadDocument, pathServiceModel, problemsOf, webDocument } from './test-support.js';

const backend = { type: 'websocket', endpoint: { type: 'tcp', host: '127.0.0.1', port: 9000 }, url: 'ws://localhost:9000' };
const at = 'workers[0].transports[0].paths.proxy1';

describe('websocket-reverseproxy path service: the model', () => {
  it("Crossbar's documented example loads with Junction's bounds as defaults", () => {
    assert.deepEqual(pathServiceModel({ type: 'websocket-reverseproxy', backend }), {
      type: 'websocket-reverseproxy',
      options: {
        maxMessageSize: 1048576, autoPingInterval: 25000, autoPingTimeout: 10000, openHandshakeTimeout: 10000,
        allowedOrigins: ['*'], allowNullOrigin: true, compression: false,
        maxBufferedBytes: 1048576, maxConnections: 10000, maxPerAddress: 1000,
      },
      backend: {
        endpoint: { type: 'tcp', host: '127.0.0.1', port: 9000, family: 4 },
        connectTimeoutMs: 10000,
        url: 'ws://localhost:9000',
        maxMessageSize: 1048576, autoPingInterval: 25000, autoPingTimeout: 10000, compression: false,
      },
    });
  });

  it('every key: TLS files from the config folder, the handshake URL defaults to the endpoint', () => {
    const model = pathServiceModel({
      type: 'websocket-reverseproxy', id: 'proxy', url: 'wss://example.com/feed',
      options: { max_message_size: 65536, max_buffered_bytes: 131072, max_connections: 50, max_per_address: 5, allowed_origins: ['https://*.example.com'],
        compression: { deflate: {} }, auto_ping_interval: 0, open_handshake_timeout: 5000, enable_webstatus: false },
      backend: {
        type: 'websocket', id: 'back',
        endpoint: { type: 'tcp', host: 'feed.internal', port: '9443', version: 6, timeout: 3,
          tls: { hostname: 'feed.example.com', ca_certificates: ['ca.pem'], certificate: 'client.pem', key: '/etc/keys/client.key' } },
        serializers: ['json'],
        options: { max_message_size: 4096, compression: true, auto_ping_timeout: 2000, open_handshake_timeout: 1000, max_frame_size: 0 },
      },
    });
    assert.deepEqual(model.options, {
      maxMessageSize: 65536, autoPingInterval: 0, autoPingTimeout: 10000, openHandshakeTimeout: 5000,
      allowedOrigins: ['https://*.example.com'], allowNullOrigin: true, compression: true,
      maxBufferedBytes: 131072, maxConnections: 50, maxPerAddress: 5,
    });
    assert.deepEqual(model.backend, {
      endpoint: { type: 'tcp', host: 'feed.internal', port: 9443, family: 6,
        tls: { servername: 'feed.example.com', caCertificates: ['/srv/junction/ca.pem'], certificate: '/srv/junction/client.pem', key: '/etc/keys/client.key' } },
      connectTimeoutMs: 3000,
      url: 'wss://feed.internal:9443/',
      maxMessageSize: 4096, autoPingInterval: 25000, autoPingTimeout: 2000, compression: true,
    });
  });

  it('a Unix socket backend; Crossbar-only keys are accepted with one notice each', () => {
    const config = loadDocument(webDocument({
      proxy1: { type: 'websocket-reverseproxy', url: 'ws://example.com/x',
        backend: { type: 'websocket', endpoint: { type: 'unix', path: 'backend.sock' }, serializers: ['cbor'] } },
    }));
    const service = config.listeners[0]!.paths['/proxy1'];
    assert.equal(service?.type, 'websocket-reverseproxy');
    assert.deepEqual(service.backend.endpoint, { type: 'unix', path: '/srv/junction/backend.sock' });
    assert.equal(service.backend.url, 'ws://localhost/');
    assert.deepEqual(config.notices.filter((line) => line.includes('proxy1')).length, 2, config.notices.join('\n'));
  });
});

describe('websocket-reverseproxy path service: refusals', () => {
  const cases: { name: string; service: Record<string, unknown>; problems: string[] }[] = [
    {
      name: 'no backend',
      service: { type: 'websocket-reverseproxy' },
      problems: [`${at}.backend: missing: "backend", the WebSocket server to relay to ({"type": "websocket", "endpoint": {"type": "tcp", "host": ..., "port": ...}})`],
    },
    {
      name: 'a backend that is not a websocket, and an endpoint without host and port',
      service: { type: 'websocket-reverseproxy', backend: { type: 'rawsocket', endpoint: { type: 'tcp' } } },
      problems: [
        `${at}.backend.type: a backend is "type": "websocket"`,
        `${at}.backend.endpoint.host: missing (expected string)`,
        `${at}.backend.endpoint.port: missing (expected a port number from 0 to 65535)`,
      ],
    },
    {
      name: "Crossbar's other connecting endpoints and an unknown type",
      service: { type: 'websocket-reverseproxy', backend: { ...backend, endpoint: { type: 'tor', host: 'x.onion', port: 80, tor_socks_port: 9050 } } },
      problems: [`${at}.backend.endpoint.type: not supported by Junction: "tor" connecting endpoints (supported: tcp, unix)`],
    },
    {
      name: 'a handshake URL that is not ws:// or wss://, and port 0',
      service: { type: 'websocket-reverseproxy', backend: { ...backend, endpoint: { type: 'tcp', host: 'h', port: 0 }, url: 'http://localhost:9000' } },
      problems: [
        `${at}.backend.endpoint.port: expected a port number from 1 to 65535`,
        `${at}.backend.url: expected a ws:// or wss:// URL (not http:)`,
      ],
    },
    {
      name: 'a client certificate without its key; a timeout of 0',
      service: { type: 'websocket-reverseproxy', backend: { ...backend, endpoint: { type: 'tcp', host: 'h', port: 1, timeout: 0, tls: { certificate: 'c.pem' } } } },
      problems: [
        `${at}.backend.endpoint.timeout: expected a positive integer`,
        `${at}.backend.endpoint.tls: a client certificate needs both "certificate" and "key"`,
      ],
    },
    {
      name: 'a misspelt key, WAMP v1 options and trusted_proxies on the path',
      service: { type: 'websocket-reverseproxy', backend, options: { max_bufferd_bytes: 1, wamp1: { realm: 'realm1' }, trusted_proxies: ['10.0.0.1'] } },
      problems: [
        `${at}.options.trusted_proxies: trusted_proxies applies to the whole port: give it in the web transport's options`,
        `${at}.options.max_bufferd_bytes: unknown key "max_bufferd_bytes" (did you mean "max_buffered_bytes"?)`,
        `${at}.options.wamp1: unknown key "wamp1"`,
      ],
    },
  ];
  for (const { name, service, problems } of cases) {
    it(name, () => assert.deepEqual(problemsOf(webDocument({ proxy1: service })), problems));
  }
});
