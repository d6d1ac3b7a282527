import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configDocument, loadDocument, plain, problemsOf, serviceAt } from './test-support.js';

/** A websocket-testee worker as Crossbar's benchmark configs write it (crossbar-examples benchmark/websocket). */
function testeeWorker(transport: Record<string, unknown> = {}, worker: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'websocket-testee',
    options: { cpu_affinity: [0] },
    transport: {
      type: 'websocket',
      endpoint: { type: 'tcp', port: 8080, backlog: 2048, shared: true },
      url: 'ws://localhost:8080',
      options: { compression: { deflate: {} } },
      ...transport,
    },
    ...worker,
  };
}

const testeeOnly = (...workers: unknown[]) => ({ version: 2, controller: { fabric: {} }, workers });

describe('websocket-testee workers', () => {
  it('need no router worker: the node serves their echo server, with a notice for each key it does not need', () => {
    const config = loadDocument(testeeOnly(testeeWorker()));
    assert.deepEqual(config.realms, []);
    assert.deepEqual(config.listeners.map((listener) => [listener.id, listener.kind, listener.endpoint.port, listener.endpoint.backlog]), [['transport0', 'websocket', 8080, 2048]]);
    const echo = plain(serviceAt(config.listeners[0], '/', 'websocket-testee'));
    assert.deepEqual(echo.options, {
      maxMessageSize: 1_048_576, autoPingInterval: 25_000, autoPingTimeout: 10_000, openHandshakeTimeout: 10_000,
      allowedOrigins: ['*'], allowNullOrigin: true, compression: true, maxBufferedBytes: 1_048_576, maxPerAddress: 1_000, maxConnections: 10_000,
    });
    for (const key of ['workers[0].options.cpu_affinity', 'workers[0].transport.url']) {
      assert.ok(config.notices.some((line) => line.startsWith(`${key}: `)), key);
    }
    assert.ok(!config.notices.some((line) => line.includes('no realms')), 'a node without a router has no realms to miss');
  });

  it('on one port are one listener (Crossbar\'s shared port); on another port, one more', () => {
    const config = loadDocument(testeeOnly(testeeWorker(), testeeWorker(), testeeWorker({ endpoint: { type: 'tcp', port: 8081 } })));
    assert.deepEqual(config.listeners.map((listener) => listener.endpoint.port), [8080, 8081]);
    assert.ok(config.notices.some((line) => line.startsWith('workers[1].transport: the same echo server as workers[0].transport')));
  });

  it('read the websocket options an echo server uses, and Junction\'s limits', () => {
    const options = { max_message_size: 16_777_216, auto_ping_interval: 0, compression: false, max_connections: 5, max_per_address: 2, max_buffered_bytes: 4096,
      allowed_origins: ['https://example.com'], trusted_proxies: ['10.0.0.1'], require_websocket_subprotocol: false };
    const config = loadDocument(testeeOnly(testeeWorker({ options })));
    const echo = plain(serviceAt(config.listeners[0], '/', 'websocket-testee'));
    assert.equal(echo.options.maxMessageSize, 16_777_216);
    assert.equal(echo.options.autoPingInterval, 0);
    assert.equal(echo.options.compression, false);
    assert.deepEqual([echo.options.maxConnections, echo.options.maxPerAddress, echo.options.maxBufferedBytes], [5, 2, 4096]);
    assert.deepEqual(echo.options.allowedOrigins, ['https://example.com']);
    assert.deepEqual(config.listeners[0]!.trustedProxies, ['10.0.0.1']);
    assert.ok(config.notices.some((line) => line.startsWith('workers[0].transport.options.require_websocket_subprotocol: ')));
  });

  it('serve beside a router, whose ports they must not take', () => {
    const config = loadDocument(configDocument({}, [testeeWorker({ endpoint: { type: 'tcp', port: 9000 } })]));
    assert.deepEqual(config.listeners.map((listener) => listener.kind), ['websocket', 'websocket']);
    assert.equal(config.realms.length, 1);
    const clash = configDocument({ transports: [{ type: 'websocket', endpoint: { type: 'tcp', port: 9000 } }] }, [testeeWorker({ endpoint: { type: 'tcp', port: 9000 } })]);
    assert.deepEqual(problemsOf(clash), ['workers[1].transport.endpoint.port: port 9000 on 0.0.0.0 is already used by workers[0].transports[0] (0.0.0.0)']);
  });

  it('refuse what is not an echo server\'s, and two different transports on one port', () => {
    assert.deepEqual(problemsOf(testeeOnly(testeeWorker({ type: 'web' }))), ['workers[0].transport.type: a websocket-testee worker\'s transport is "type": "websocket"']);
    assert.deepEqual(problemsOf(testeeOnly(testeeWorker({ paths: {} }))), ['workers[0].transport.paths: unknown key "paths"']);
    assert.deepEqual(problemsOf(testeeOnly(testeeWorker({}, { transports: [] }))), ['workers[0].transports: unknown key "transports" (did you mean "transport"?)']);
    assert.deepEqual(problemsOf(testeeOnly({ type: 'websocket-testee' })), ['workers[0].transport: missing (expected object)']);
    assert.deepEqual(problemsOf(testeeOnly(testeeWorker({ options: { max_message_size: 0 } }))), ['workers[0].transport.options.max_message_size: expected a positive integer']);
    assert.deepEqual(problemsOf(testeeOnly(testeeWorker({ options: { wamp1: { realm: 'r' } } }))), ['workers[0].transport.options.wamp1: unknown key "wamp1"']);
    assert.deepEqual(problemsOf(testeeOnly(testeeWorker(), testeeWorker({ options: { compression: false } }))), [
      'workers[1].transport.endpoint: also opened by workers[0].transport of another websocket-testee worker, with a different transport: Crossbar hands each connection to either one; Junction opens one listener per port: make the two the same, or give each its own port',
    ]);
  });

  it('take WAMP keys Crossbar checks on their transport with a notice: the echo server signs no one in', () => {
    const config = loadDocument(testeeOnly(testeeWorker({ serializers: ['json'], auth: { anonymous: { type: 'static' } } })));
    assert.ok(config.notices.some((line) => line.startsWith('workers[0].transport.auth: auth: every client is echoed to, without a sign-in')));
    assert.ok(config.notices.some((line) => line.startsWith('workers[0].transport.serializers: ')));
  });
});

describe('websocket.testee transports', () => {
  it('are the same echo server on a router worker', () => {
    const config = loadDocument(configDocument({ transports: [{ type: 'websocket.testee', endpoint: { type: 'tcp', port: 9001 }, options: { max_message_size: 100 } }] }));
    assert.equal(config.listeners[0]!.kind, 'websocket');
    assert.equal(serviceAt(config.listeners[0], '/', 'websocket-testee').options.maxMessageSize, 100);
    assert.deepEqual(problemsOf(configDocument({ transports: [{ type: 'websocket.testee', endpoint: { type: 'tcp', port: 9001 }, auth: {} }] })),
      ['workers[0].transports[0].auth: unknown key "auth"']);
  });
});

describe('flashpolicy transports', () => {
  const flash = (extra: Record<string, unknown> = {}) => configDocument({ transports: [{ type: 'flashpolicy', endpoint: { type: 'tcp', port: 843 }, ...extra }] });

  it('serve the policy of allowed_domain and allowed_ports, any domain and port by default as in Crossbar', () => {
    const listener = loadDocument(flash({ allowed_domain: '*.example.com', allowed_ports: [8080, '9000'], debug: true })).listeners[0]!;
    assert.deepEqual([listener.kind, listener.endpoint.port, plain(listener.flashPolicy)], ['flashpolicy', 843, { allowedDomain: '*.example.com', allowedPorts: '8080,9000' }]);
    assert.deepEqual(plain(loadDocument(flash()).listeners[0]!.flashPolicy), { allowedDomain: '*', allowedPorts: '*' });
    assert.deepEqual(plain(loadDocument(flash({ allowed_ports: [] })).listeners[0]!.flashPolicy), { allowedDomain: '*', allowedPorts: '*' });
  });

  it('refuse a domain or port the policy could not carry, and unknown keys', () => {
    assert.deepEqual(problemsOf(flash({ allowed_domain: 'a" to-ports="*' })), [
      'workers[0].transports[0].allowed_domain: expected a domain ("example.com"), "*.example.com" for every name below it, "*" for any, or an IP address',
    ]);
    assert.deepEqual(problemsOf(flash({ allowed_ports: [0] })), ['workers[0].transports[0].allowed_ports[0]: expected a port number from 1 to 65535']);
    assert.deepEqual(problemsOf(flash({ allowed_ports: 8080 })), ['workers[0].transports[0].allowed_ports: expected list, got number']);
    assert.deepEqual(problemsOf(flash({ paths: {} })), ['workers[0].transports[0].paths: unknown key "paths"']);
  });
});

describe('stream.testee transports', () => {
  it('are a TCP echo server on a router worker, with only an endpoint', () => {
    const stream = (extra: Record<string, unknown> = {}) => configDocument({ transports: [{ type: 'stream.testee', id: 'bytes', endpoint: { type: 'tcp', port: 9002 }, ...extra }] });
    const listener = loadDocument(stream({ debug: false })).listeners[0]!;
    assert.deepEqual([listener.id, listener.kind, listener.endpoint.port], ['bytes', 'stream-testee', 9002]);
    assert.deepEqual(problemsOf(stream({ options: {} })), ['workers[0].transports[0].options: unknown key "options"']);
  });
});
