import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ListenerConfig, RawSocketService } from './model.js';
import { configDocument, loadDocument, plain, problemsOf, testBaseDir, websocketAt, websocketDefaults } from './test-support.js';

/** The RawSocket settings of a rawsocket transport that sets nothing: the schema's defaults. */
function rawSocketDefaults(): RawSocketService {
  return plain(loadDocument(configDocument({ transports: [{ type: 'rawsocket', endpoint: { type: 'tcp', port: 0 } }] })).listeners[0]!.rawsocket!);
}

function listenerOf(transport: Record<string, unknown>): ListenerConfig {
  return plain(loadDocument(configDocument({ transports: [transport] })).listeners[0]!);
}

describe('rawsocket transports', () => {
  const cases: { name: string; transport: Record<string, unknown>; expected: ListenerConfig }[] = [
    {
      name: 'TCP with every default',
      transport: { type: 'rawsocket', endpoint: { type: 'tcp', port: 9000 } },
      expected: { id: 'transport0', kind: 'rawsocket', endpoint: { port: 9000, interface: '0.0.0.0' }, paths: {}, rawsocket: rawSocketDefaults(), trustedProxies: [] } as ListenerConfig,
    },
    {
      name: "a Unix socket relative to the config folder; Crossbar's top-level max_message_size; Junction's options",
      transport: {
        type: 'rawsocket',
        id: 'local_rs',
        endpoint: { type: 'unix', path: 'run/junction.sock', backlog: 50 },
        serializers: ['msgpack', 'cbor'],
        max_message_size: 65536,
        options: { max_connections: 20, auto_ping_interval: 0, open_handshake_timeout: 2000, max_buffered_bytes: 1024 },
        auth: { ticket: { type: 'static', principals: { svc: { ticket: 't', role: 'backend' } } } },
        debug: true,
      },
      expected: {
        id: 'local_rs',
        kind: 'rawsocket',
        endpoint: { type: 'unix', port: 0, path: '/srv/junction/run/junction.sock', interface: '', backlog: 50 },
        paths: {},
        rawsocket: {
          ...rawSocketDefaults(),
          serializers: ['msgpack', 'cbor'],
          maxMessageSize: 65536,
          maxConnections: 20,
          autoPingInterval: 0,
          openHandshakeTimeout: 2000,
          maxBufferedBytes: 1024,
          auth: { ticket: { type: 'static', principals: { svc: { ticket: 't', role: 'backend' } } } },
        },
        trustedProxies: [],
      } as ListenerConfig,
    },
    {
      name: "max_message_size in options, as Crossbar's checker wants it",
      transport: { type: 'rawsocket', endpoint: { type: 'tcp', port: 9000 }, options: { max_message_size: 512 } },
      expected: {
        id: 'transport0',
        kind: 'rawsocket',
        endpoint: { port: 9000, interface: '0.0.0.0' },
        paths: {},
        rawsocket: { ...rawSocketDefaults(), maxMessageSize: 512 },
        trustedProxies: [],
      } as ListenerConfig,
    },
  ];
  for (const { name, transport, expected } of cases) {
    it(name, () => assert.deepEqual(listenerOf(transport), expected));
  }

  it('refuses a message size RawSocket cannot announce, a size given twice, and one socket file twice', () => {
    const transports = [
      { type: 'rawsocket', endpoint: { type: 'tcp', port: 9000 }, options: { max_message_size: 100 } },
      { type: 'rawsocket', endpoint: { type: 'tcp', port: 9001 }, max_message_size: 1024, options: { max_message_size: 2048 } },
      { type: 'rawsocket', endpoint: { type: 'unix', path: '/tmp/j.sock' } },
      { type: 'rawsocket', endpoint: { type: 'unix', path: '/tmp//j.sock' } },
      { type: 'rawsocket', endpoint: { type: 'unix', path: `/tmp/${'x'.repeat(120)}` } },
    ];
    assert.deepEqual(problemsOf(configDocument({ transports })), [
      'workers[0].transports[0].options.max_message_size: expected at least 512 bytes (the smallest length RawSocket can announce)',
      'workers[0].transports[1].max_message_size: give max_message_size once: here or in options',
      'workers[0].transports[4].endpoint.path: a Unix socket path has at most 107 bytes; use a shorter (absolute) path',
      'workers[0].transports[3].endpoint.path: the Unix socket /tmp//j.sock is already used by workers[0].transports[2]',
    ]);
  });

  it('a unix endpoint serves every transport type', () => {
    const transports = [
      { type: 'web', endpoint: { type: 'unix', path: 'web.sock', backlog: 64 }, paths: { '/': { type: 'health' } } },
      { type: 'websocket', endpoint: { type: 'unix', path: '/tmp/ws.sock' } },
      { type: 'universal', endpoint: { type: 'unix', path: '/tmp/u.sock' }, rawsocket: {} },
    ];
    const config = loadDocument(configDocument({ transports }));
    assert.deepEqual(
      config.listeners.map((listener) => [listener.kind, listener.endpoint]),
      [
        ['web', { type: 'unix', port: 0, path: `${testBaseDir}/web.sock`, interface: '', backlog: 64 }],
        ['websocket', { type: 'unix', port: 0, path: '/tmp/ws.sock', interface: '' }],
        ['universal', { type: 'unix', port: 0, path: '/tmp/u.sock', interface: '' }],
      ],
    );
  });

  it('ubjson and flatbuffers are left out of a serializer list with a notice', () => {
    const transports = [{ type: 'websocket', endpoint: { type: 'tcp', port: 0 }, serializers: ['json', 'ubjson', 'msgpack', 'flatbuffers'] }];
    const config = loadDocument(configDocument({ transports }));
    assert.deepEqual(websocketAt(config.listeners[0], '/').serializers, ['json', 'msgpack']);
    assert.deepEqual(config.notices, [
      'workers[0].transports[0].serializers[1]: the ubjson serializer is not spoken by Junction and was left out of the offer (Junction speaks json, msgpack, cbor) [config.notice.serializer_dropped]',
      'workers[0].transports[0].serializers[3]: the flatbuffers serializer is not spoken by Junction and was left out of the offer (Junction speaks json, msgpack, cbor) [config.notice.serializer_dropped]',
    ]);
  });

  it('rawsocket and web transports on one port clash', () => {
    const transports = [
      { type: 'rawsocket', endpoint: { type: 'tcp', port: 9000 } },
      { type: 'web', endpoint: { type: 'tcp', port: 9000 }, paths: { '/': { type: 'health' } } },
    ];
    assert.deepEqual(problemsOf(configDocument({ transports })), [
      'workers[0].transports[1].endpoint.port: port 9000 on 0.0.0.0 is already used by workers[0].transports[0] (0.0.0.0)',
    ]);
  });
});

describe('universal transports', () => {
  it('merge websocket parts and web paths into one table, with RawSocket from the rawsocket part', () => {
    const listener = listenerOf({
      type: 'universal',
      id: 'everything',
      endpoint: { type: 'tcp', port: 8080 },
      rawsocket: { serializers: ['cbor'], options: { max_connections: 5 } },
      websocket: { ws: { serializers: ['json'], options: { trusted_proxies: ['10.0.0.1'] } } },
      web: { paths: { '/': { type: 'health' }, api: { type: 'path', paths: { info: { type: 'nodeinfo' } } } }, options: { trusted_proxies: ['127.0.0.1', '10.0.0.1'] } },
    });
    assert.deepEqual(listener, {
      id: 'everything',
      kind: 'universal',
      endpoint: { port: 8080, interface: '0.0.0.0' },
      paths: {
        '/ws': { ...websocketDefaults(), serializers: ['json'] },
        '/': { type: 'health' },
        '/api/info': { type: 'nodeinfo' },
      },
      rawsocket: { ...rawSocketDefaults(), serializers: ['cbor'], maxConnections: 5 },
      trustedProxies: ['127.0.0.1', '10.0.0.1'],
    });
  });

  it('without a rawsocket part serve what a web transport would (no RawSocket the file did not ask for)', () => {
    const listener = listenerOf({ type: 'universal', endpoint: { type: 'tcp', port: 8080 }, websocket: { '/': { type: 'websocket' } } });
    assert.deepEqual(listener, { id: 'transport0', kind: 'web', endpoint: { port: 8080, interface: '0.0.0.0' }, paths: { '/': websocketDefaults() }, trustedProxies: [] });
  });

  it('a websocket part takes its path before the web part (as in Crossbar), with a notice', () => {
    const transports = [{ type: 'universal', endpoint: { type: 'tcp', port: 0 }, websocket: { ws: {} }, web: { paths: { ws: { type: 'websocket' }, info: { type: 'nodeinfo' } } } }];
    const config = loadDocument(configDocument({ transports }));
    assert.deepEqual(Object.keys(config.listeners[0]!.paths), ['/ws', '/info']);
    assert.deepEqual(config.notices, [
      'workers[0].transports[0].websocket.ws: takes every request to /ws, as in Crossbar: the web part\'s websocket service there is not served [config.notice.path_shadowed]',
    ]);
  });

  it('refuse an empty universal transport, a path served twice, a part with its own endpoint, and MQTT', () => {
    const transports = [
      { type: 'universal', endpoint: { type: 'tcp', port: 8080 } },
      {
        type: 'universal',
        endpoint: { type: 'tcp', port: 8081 },
        rawsocket: { endpoint: { type: 'tcp', port: 1 } },
        websocket: { ws: {} },
        web: { paths: { '/info/': { type: 'health' }, info: { type: 'nodeinfo' } } },
        mqtt: { options: { realm: 'realm1' }, endpoint: { type: 'tcp', port: 2 } },
      },
    ];
    assert.deepEqual(problemsOf(configDocument({ transports })), [
      'workers[0].transports[1].rawsocket.endpoint: unknown key "endpoint"',
      'workers[0].transports[1].mqtt.endpoint: unknown key "endpoint"',
      'workers[0].transports[0]: a universal transport serves nothing: add a "rawsocket", "websocket", "web" or "mqtt" part',
      'workers[0].transports[1].web.paths.info: paths "/info/" and "info" are the same URL path /info',
    ]);
  });
});

describe('websocket transports', () => {
  it('take trusted_proxies from their options', () => {
    const listener = listenerOf({ type: 'websocket', endpoint: { type: 'tcp', port: 9000 }, options: { trusted_proxies: ['::1', '192.168.0.0/255.255.0.0'] } });
    assert.deepEqual(listener.trustedProxies, ['::1', '192.168.0.0/255.255.0.0']);
    assert.deepEqual(listener.paths['/'], websocketDefaults());
  });

  it('require a WAMP subprotocol by default; require_websocket_subprotocol: false lets unannounced clients in (Crossbar)', () => {
    assert.equal(websocketDefaults().options.requireWebsocketSubprotocol, true);
    const endpoint = { type: 'tcp', port: 9000 };
    const standalone = listenerOf({ type: 'websocket', endpoint, options: { require_websocket_subprotocol: false } });
    assert.equal(websocketAt(standalone, '/').options.requireWebsocketSubprotocol, false);
    const part = listenerOf({ type: 'universal', endpoint, websocket: { ws: { options: { require_websocket_subprotocol: false } } } });
    assert.equal(websocketAt(part, '/ws').options.requireWebsocketSubprotocol, false);
    const path = listenerOf({ type: 'web', endpoint, paths: { ws: { type: 'websocket', options: { require_websocket_subprotocol: false } } } });
    assert.equal(websocketAt(path, '/ws').options.requireWebsocketSubprotocol, false);
  });

  it('refuse require_websocket_subprotocol: false without the json serializer those clients get', () => {
    const options = { require_websocket_subprotocol: false };
    const endpoint = { type: 'tcp', port: 0 };
    const transports = [
      { type: 'websocket', endpoint, serializers: ['msgpack'], options },
      { type: 'universal', endpoint: { type: 'tcp', port: 1 }, websocket: { ws: { serializers: ['cbor', 'ubjson'], options } } },
      { type: 'web', endpoint: { type: 'tcp', port: 2 }, paths: { ws: { type: 'websocket', serializers: ['cbor'], options } } },
    ];
    const hint = 'require_websocket_subprotocol: false serves clients that announce no subprotocol JSON: add "json" to serializers, or remove the key';
    assert.deepEqual(problemsOf(configDocument({ transports })), [
      `workers[0].transports[0].options.require_websocket_subprotocol: ${hint}`,
      `workers[0].transports[1].websocket.ws.options.require_websocket_subprotocol: ${hint}`,
      `workers[0].transports[2].paths.ws.options.require_websocket_subprotocol: ${hint}`,
    ]);
  });

  it('name the transport types Junction has', () => {
    assert.deepEqual(problemsOf(configDocument({ transports: [{ type: 'rawsockets', endpoint: { type: 'tcp', port: 1 } }] })), [
      'workers[0].transports[0].type: unknown transport type "rawsockets" (expected "websocket" or "web" or "rawsocket" or "universal" or "pusher" or "mqtt" or "flashpolicy" or "websocket.testee" or "stream.testee"); did you mean "rawsocket"?',
    ]);
  });
});
