import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PathService } from './model.js';
import { configDocument, loadDocument, pathServiceModel, plain, problemsOf, realmWithRoles, webDocument } from './test-support.js';
import { pathServiceTypes } from './schema-web-services.js';

/** What an unknown path type's message lists: every path service, in the schema's order. */
const supportedPathTypes = pathServiceTypes.join(', ');

// The models of services that set nothing optional (schema-defaults.test.ts checks them against the published schema).
const bridgeDefaults = pathServiceModel({ type: 'publisher', realm: 'realm1', role: 'backend' }).options;
const { type: _type, realm: _realm, ...sseDefaults } = pathServiceModel({ type: 'sse', realm: 'realm1' });

describe('web path services: valid files and their model', () => {
  const cases: { name: string; paths: Record<string, unknown>; expected: Record<string, PathService>; notices?: string[] }[] = [
    {
      name: 'static with Crossbar defaults; directory resolved against the config folder',
      paths: { '/': { type: 'static', directory: '../web' } },
      expected: {
        '/': { type: 'static', directory: '/srv/web', defaultFile: 'index.html', directoryListing: false, cacheTimeoutSeconds: 43200, mimeTypes: {} },
      },
    },
    {
      name: 'static with every option; cache_timeout null means no caching',
      paths: {
        files: {
          type: 'static',
          directory: '/var/files',
          options: { enable_directory_listing: true, mime_types: { '.wasm': 'application/wasm' }, cache_timeout: null, default_file: 'app.html' },
        },
      },
      expected: {
        '/files': {
          type: 'static',
          directory: '/var/files',
          defaultFile: 'app.html',
          directoryListing: true,
          cacheTimeoutSeconds: 0,
          mimeTypes: { '.wasm': 'application/wasm' },
        },
      },
    },
    {
      name: "archive: Crossbar's own example as written (cache accepted with a notice), and the shortest form",
      paths: {
        autobahn: {
          type: 'archive',
          archive: 'autobahn.zip',
          origin: 'https://github.com/crossbario/autobahn-js-browser/archive/master.zip',
          object_prefix: 'autobahn-js-browser-master/',
          default_object: 'autobahn.min.js',
          download: true,
          cache: true,
          hashes: ['5EF1326E6F0F54E4552B5B5288D4DD2C96AD2E4164CD9E49886FE083FA5D8854'],
          mime_types: { '.min.js': 'text/javascript', '.jgz': 'text/javascript' },
          options: { default_file: 'index.html' },
        },
        app: { type: 'archive', archive: '/srv/app.zip' },
      },
      expected: {
        '/autobahn': {
          type: 'archive',
          archive: '/srv/junction/autobahn.zip',
          origin: 'https://github.com/crossbario/autobahn-js-browser/archive/master.zip',
          download: true,
          hashes: ['5ef1326e6f0f54e4552b5b5288d4dd2c96ad2e4164cd9e49886fe083fa5d8854'],
          defaultObject: 'autobahn.min.js',
          objectPrefix: 'autobahn-js-browser-master',
          fallbackObject: 'index.html',
          mimeTypes: { '.min.js': 'text/javascript', '.jgz': 'text/javascript' },
        },
        '/app': { type: 'archive', archive: '/srv/app.zip', download: false, hashes: [], mimeTypes: {} },
      },
      notices: [
        "workers[0].transports[0].paths.autobahn.cache: caching files in memory (cache; Junction streams them from the archive) is not needed by Junction and was ignored [config.notice.ignored]",
      ],
    },
    {
      name: 'json, redirect (default 302 and an explicit status), nodeinfo, health, metrics',
      paths: {
        config: { type: 'json', value: { a: [1, 2] }, options: { prettify: true } },
        old: { type: 'redirect', url: '/new' },
        moved: { type: 'redirect', url: 'https://example.com/', status: 308 },
        info: { type: 'nodeinfo' },
        health: { type: 'health' },
        metrics: { type: 'metrics' },
      },
      expected: {
        '/config': { type: 'json', value: { a: [1, 2] }, prettify: true, allowCrossOrigin: false, discourageCaching: false },
        '/old': { type: 'redirect', url: '/new', status: 302 },
        '/moved': { type: 'redirect', url: 'https://example.com/', status: 308 },
        '/info': { type: 'nodeinfo' },
        '/health': { type: 'health' },
        '/metrics': { type: 'metrics' },
      },
    },
    {
      name: 'publisher and caller: defaults, signature with its Crossbar default window, ranges',
      paths: {
        publish: { type: 'publisher', realm: 'realm1', role: 'backend' },
        call: {
          type: 'caller',
          realm: 'realm1',
          role: 'backend',
          options: { key: 'app', secret: 's3cret', require_ip: ['10.0.0.0/8', '192.168.1.0/255.255.255.0'], require_tls: true, post_body_limit: 100 },
        },
      },
      expected: {
        '/publish': { type: 'publisher', realm: 'realm1', role: 'backend', options: bridgeDefaults },
        '/call': {
          type: 'caller',
          realm: 'realm1',
          role: 'backend',
          options: {
            postBodyLimit: 100,
            requireIp: ['10.0.0.0/8', '192.168.1.0/255.255.255.0'],
            requireTls: true,
            signature: { key: 'app', secret: 's3cret', timestampDeltaLimitSeconds: 300 },
          },
          maxTimeoutMs: 60_000,
        },
      },
    },
    {
      name: 'caller: max_timeout (Junction extension) from 1 ms to an hour',
      paths: {
        short: { type: 'caller', realm: 'realm1', role: 'backend', options: { max_timeout: 1 } },
        long: { type: 'caller', realm: 'realm1', role: 'backend', options: { max_timeout: 3_600_000 } },
      },
      expected: {
        '/short': { type: 'caller', realm: 'realm1', role: 'backend', options: bridgeDefaults, maxTimeoutMs: 1 },
        '/long': { type: 'caller', realm: 'realm1', role: 'backend', options: bridgeDefaults, maxTimeoutMs: 3_600_000 },
      },
    },
    {
      name: "Crossbar's 0 (no limit) gets Junction's default, with a notice; debug is ignored",
      paths: {
        publish: { type: 'publisher', realm: 'realm1', role: 'backend', options: { key: 'k', secret: 's', post_body_limit: 0, timestamp_delta_limit: 0, debug: true } },
      },
      expected: {
        '/publish': {
          type: 'publisher',
          realm: 'realm1',
          role: 'backend',
          options: { ...bridgeDefaults, signature: { key: 'k', secret: 's', timestampDeltaLimitSeconds: 300 } },
        },
      },
      notices: [
        'workers[0].transports[0].paths.publish.options.debug: Crossbar debug logging (debug; use --log-level) is not needed by Junction and was ignored [config.notice.ignored]',
        'workers[0].transports[0].paths.publish.options.post_body_limit: 0 (no limit) is not offered by Junction; the default of 8192 bytes applies [config.notice.zero_limit]',
        'workers[0].transports[0].paths.publish.options.timestamp_delta_limit: 0 (no limit) is not offered by Junction; the default of 300 seconds applies [config.notice.zero_limit]',
      ],
    },
    {
      name: 'webhook: topic from options, Crossbar response defaults, GitHub secret',
      paths: { hook: { type: 'webhook', realm: 'realm1', role: 'backend', options: { topic: 'app.hook', github_secret: 'gh', success_response: '' } } },
      expected: {
        '/hook': {
          type: 'webhook',
          realm: 'realm1',
          role: 'backend',
          topic: 'app.hook',
          successResponse: '',
          errorResponse: 'NOT OK',
          githubSecret: 'gh',
          options: bridgeDefaults,
        },
      },
    },
    {
      name: 'longpoll: Crossbar seconds become milliseconds; zero limits get the defaults',
      paths: {
        lp: { type: 'longpoll' },
        lp2: {
          type: 'longpoll',
          serializers: ['json'],
          auth: { ticket: { type: 'static', principals: { joe: { ticket: 't', role: 'backend' } } } },
          options: {
            request_timeout: 5, session_timeout: 0, queue_limit_bytes: 1000, queue_limit_messages: 0, max_message_size: 2048, debug_transport_id: 'x',
            max_transports: 500, max_per_address: 0,
          },
        },
      },
      expected: {
        '/lp': {
          type: 'longpoll',
          serializers: ['json', 'msgpack', 'cbor'],
          requestTimeoutMs: 10000,
          sessionTimeoutMs: 30000,
          queueLimitBytes: 131072,
          queueLimitMessages: 100,
          maxMessageSize: 1048576,
          maxTransports: 10000,
          maxPerAddress: 100,
          auth: { anonymous: { type: 'static', role: 'anonymous' } },
        },
        '/lp2': {
          type: 'longpoll',
          serializers: ['json'],
          requestTimeoutMs: 5000,
          sessionTimeoutMs: 30000,
          queueLimitBytes: 1000,
          queueLimitMessages: 100,
          maxMessageSize: 2048,
          maxTransports: 500,
          maxPerAddress: 0,
          debugTransportId: 'x',
          auth: { ticket: { type: 'static', principals: { joe: { ticket: 't', role: 'backend' } } } },
        },
      },
      notices: [
        'workers[0].transports[0].paths.lp2.options.session_timeout: 0 (no limit) is not offered by Junction; the default of 30 seconds applies [config.notice.zero_limit]',
        'workers[0].transports[0].paths.lp2.options.queue_limit_messages: 0 (no limit) is not offered by Junction; the default of 100 messages applies [config.notice.zero_limit]',
        'workers[0].transports[0].paths.lp2.options.debug_transport_id: every long-poll open on this path gets the transport id "x", so anyone who knows it can use the newest session: for trying the protocol by hand only [config.notice.fixed_transport_id]',
      ],
    },
    {
      name: 'sse: defaults, and anonymous plus dynamic ticket with options',
      paths: {
        events: { type: 'sse', realm: 'realm1' },
        feed: {
          type: 'sse',
          realm: 'realm1',
          auth: { anonymous: { type: 'static', role: 'backend' }, ticket: { type: 'dynamic', authenticator: 'com.example.auth' } },
          options: { cookie_name: 'feed_ticket', heartbeat_interval: 5000, max_topics: 4, max_buffered_bytes: 65536, max_streams: 50, max_per_address: 3 },
        },
      },
      expected: {
        '/events': { type: 'sse', realm: 'realm1', ...sseDefaults },
        '/feed': {
          type: 'sse',
          realm: 'realm1',
          auth: { anonymous: { type: 'static', role: 'backend' }, ticket: { type: 'dynamic', authenticator: 'com.example.auth' } },
          cookieName: 'feed_ticket',
          heartbeatMs: 5000,
          maxTopics: 4,
          maxBufferedBytes: 65536,
          maxStreams: 50,
          maxPerAddress: 3,
          resumeWaitMs: 1000,
        },
      },
    },
    {
      name: 'path services nest: keys continue the parent path, "/" is the parent itself',
      paths: {
        api: {
          type: 'path',
          paths: {
            '/': { type: 'health' },
            publish: { type: 'publisher', realm: 'realm1', role: 'backend' },
            v2: { type: 'path', paths: { 'events/': { type: 'sse', realm: 'realm1' } } },
          },
        },
      },
      expected: {
        '/api': { type: 'health' },
        '/api/publish': { type: 'publisher', realm: 'realm1', role: 'backend', options: bridgeDefaults },
        '/api/v2/events': { type: 'sse', realm: 'realm1', ...sseDefaults },
      },
    },
  ];

  for (const { name, paths, expected, notices = [] } of cases) {
    it(name, () => {
      const config = loadDocument(webDocument(paths));
      const listener = config.listeners[0]!;
      assert.equal(listener.kind, 'web');
      assert.deepEqual(plain(listener.paths), expected);
      assert.deepEqual(config.notices, notices);
    });
  }

  it('keeps trusted proxies of the web transport', () => {
    const config = loadDocument(webDocument({ ws: { type: 'websocket' } }, { trusted_proxies: ['127.0.0.1', 'fd00::/8'] }));
    assert.deepEqual(config.listeners[0]!.trustedProxies, ['127.0.0.1', 'fd00::/8']);
  });

  it('keeps the allowed host names of the web transport, in lower case without a final dot; absent stays absent', () => {
    const config = loadDocument(webDocument({ ws: { type: 'websocket' } }, { allowed_hosts: ['WAMP.example.com.', '*.apps.example.com', '*'] }));
    assert.deepEqual(config.listeners[0]!.allowedHosts, ['wamp.example.com', '*.apps.example.com', '*']);
    assert.equal('allowedHosts' in loadDocument(webDocument({ ws: { type: 'websocket' } })).listeners[0]!, false);
  });

  it('refuses an allowed host with a port, a path or a misplaced wildcard', () => {
    const expected = 'expected a host name without port ("router.example.com"), "*.example.com" for every name below it, or "*" for any';
    assert.deepEqual(problemsOf(webDocument({ ws: { type: 'websocket' } }, { allowed_hosts: ['wamp.example.com:443', 'https://wamp.example.com', 'a.*.example.com', ''] })), [
      `workers[0].transports[0].options.allowed_hosts[0]: ${expected}`,
      `workers[0].transports[0].options.allowed_hosts[1]: ${expected}`,
      `workers[0].transports[0].options.allowed_hosts[2]: ${expected}`,
      `workers[0].transports[0].options.allowed_hosts[3]: ${expected}`,
    ]);
  });
});

describe('web path services: invalid files and their messages', () => {
  const cases: { name: string; paths: Record<string, unknown>; options?: Record<string, unknown>; problems: string[] }[] = [
    {
      name: 'a misspelt type gets a suggestion',
      paths: { publish: { type: 'publsher', realm: 'realm1', role: 'backend' } },
      problems: [
        'workers[0].transports[0].paths.publish.type: unknown path service type "publsher" (expected "websocket" or "static" or "json" or "redirect" or "nodeinfo" or "health" or "metrics" or "publisher" or "caller" or "webhook" or "longpoll" or "sse" or "console" or "mqtt" or "websocket-reverseproxy" or "reverseproxy" or "wsgi" or "cgi" or "upload" or "fileupload" or "resource" or "wap" or "archive" or "path"); did you mean "publisher"?',
      ],
    },
    {
      name: 'each lists what is supported',
      paths: { feed: { type: 'catalog' }, pair: { type: 'pairme' } },
      problems: [
        `workers[0].transports[0].paths.feed.type: not supported by Junction: the "catalog" path service (supported: ${supportedPathTypes})`,
        `workers[0].transports[0].paths.pair.type: not supported by Junction: the "pairme" path service (supported: ${supportedPathTypes})`,
      ],
    },
    {
      name: 'longpoll: a debug_transport_id is one URL path segment, and no cluster id (no ".")',
      paths: { lp: { type: 'longpoll', options: { debug_transport_id: 'a.b' } }, lp2: { type: 'longpoll', options: { debug_transport_id: '' } } },
      problems: [
        'workers[0].transports[0].paths.lp.options.debug_transport_id: a transport id is 1 to 64 characters from A-Z, a-z, 0-9, "_" and "-"',
        'workers[0].transports[0].paths.lp2.options.debug_transport_id: a transport id is 1 to 64 characters from A-Z, a-z, 0-9, "_" and "-"',
      ],
    },
    {
      name: 'static: a directory (or a package and its resource) is required',
      paths: { b: { type: 'static' } },
      problems: ['workers[0].transports[0].paths.b.directory: missing: "directory", the folder to serve (or "package" and "resource")'],
    },
    {
      name: 'static: bad MIME table entries and a default file outside the directory',
      paths: { a: { type: 'static', directory: 'web', options: { mime_types: { wasm: 'application/wasm', '.x': 'nope' }, default_file: '../secret' } } },
      problems: [
        'workers[0].transports[0].paths.a.options.mime_types.wasm: a MIME type key is a file extension with its dot, like ".wasm"',
        'workers[0].transports[0].paths.a.options.mime_types[".x"]: expected a MIME type like "application/wasm"',
        'workers[0].transports[0].paths.a.options.default_file: a file inside the directory (relative, without "..")',
      ],
    },
    {
      name: 'archive: the file is required; origin is an http(s) URL that download needs; names stay inside the archive; hashes are SHA-256',
      paths: {
        a: { type: 'archive' },
        b: { type: 'archive', archive: 'app.zip', download: true },
        c: { type: 'archive', archive: 'app.zip', origin: 'ftp://example.com/app.zip', default_object: '../index.html', object_prefix: '/abs', options: { default_file: 'a\\b.html' } },
        d: { type: 'archive', archive: 'app.zip', hashes: ['abc'], mime_types: { js: 'text/javascript' }, compress: true },
      },
      problems: [
        'workers[0].transports[0].paths.a.archive: missing: "archive", the ZIP file to serve (like "app-ui.zip")',
        'workers[0].transports[0].paths.b.origin: missing: "origin", the URL "download" fetches the archive from',
        'workers[0].transports[0].paths.c.origin: expected an http:// or https:// URL to download the archive from',
        'workers[0].transports[0].paths.c.default_object: a file name inside the archive: relative, with "/" between folders, without ".."',
        'workers[0].transports[0].paths.c.object_prefix: a folder inside the archive: relative, with "/" between folders, without ".."',
        'workers[0].transports[0].paths.c.options.default_file: a file name inside the archive: relative, with "/" between folders, without ".."',
        'workers[0].transports[0].paths.d.hashes[0]: expected a SHA-256 fingerprint: 64 hex digits',
        'workers[0].transports[0].paths.d.mime_types.js: a MIME type key is a file extension with its dot, like ".wasm" or ".min.js"',
        'workers[0].transports[0].paths.d.compress: unknown key "compress"',
      ],
    },
    {
      name: 'json needs a value; redirect needs a redirect status',
      paths: { a: { type: 'json' }, b: { type: 'redirect', url: '/x', status: 200 } },
      problems: [
        'workers[0].transports[0].paths.a.value: missing: "value", the JSON value to serve',
        'workers[0].transports[0].paths.b.status: expected one of 301, 302, 303, 307, 308',
      ],
    },
    {
      name: 'webhook: options and topic are required',
      paths: { a: { type: 'webhook', realm: 'realm1', role: 'backend' }, b: { type: 'webhook', realm: 'realm1', role: 'backend', options: {} } },
      problems: [
        'workers[0].transports[0].paths.a.options: missing: a webhook needs "options" with its "topic"',
        'workers[0].transports[0].paths.b.options.topic: missing: the topic each webhook request is published to',
      ],
    },
    {
      name: 'publisher: bad ranges, a limit out of range, a key without its secret',
      paths: {
        a: { type: 'publisher', realm: 'realm1', role: 'backend', options: { key: 'k', require_ip: ['10.0.0.0/33', 'example.com'], post_body_limit: 20000000 } },
      },
      problems: [
        'workers[0].transports[0].paths.a.options.post_body_limit: expected at most 16777216 bytes',
        'workers[0].transports[0].paths.a.options.require_ip[0]: "10.0.0.0/33" has an invalid prefix length or netmask for an IPv4 range',
        'workers[0].transports[0].paths.a.options.require_ip[1]: "example.com" is not an IP address or range ("10.0.0.0/8", "::1", "192.168.1.0/255.255.255.0")',
        'workers[0].transports[0].paths.a.options: signed requests need both "key" and "secret"',
      ],
    },
    {
      name: 'caller: max_timeout from 1 to 3600000 ms; the publisher has none',
      paths: {
        a: { type: 'caller', realm: 'realm1', role: 'backend', options: { max_timeout: 0 } },
        b: { type: 'caller', realm: 'realm1', role: 'backend', options: { max_timeout: 3_600_001 } },
        c: { type: 'caller', realm: 'realm1', role: 'backend', options: { max_timeout: '60s' } },
        d: { type: 'publisher', realm: 'realm1', role: 'backend', options: { max_timeout: 1000 } },
      },
      problems: [
        'workers[0].transports[0].paths.a.options.max_timeout: expected a number of milliseconds from 1 to 3600000',
        'workers[0].transports[0].paths.b.options.max_timeout: expected a number of milliseconds from 1 to 3600000',
        'workers[0].transports[0].paths.c.options.max_timeout: expected a number of milliseconds from 1 to 3600000',
        'workers[0].transports[0].paths.d.options.max_timeout: unknown key "max_timeout"',
      ],
    },
    {
      name: 'publisher: key and secret go together',
      paths: { a: { type: 'caller', realm: 'realm1', role: 'backend', options: { secret: 's' } } },
      problems: ['workers[0].transports[0].paths.a.options: signed requests need both "key" and "secret"'],
    },
    {
      name: 'bridge services name realms and roles that exist',
      paths: {
        a: { type: 'publisher', realm: 'realm2', role: 'backend' },
        b: { type: 'caller', realm: 'realm1', role: 'admin' },
        c: { type: 'sse', realm: 'nowhere' },
      },
      problems: [
        'workers[0].transports[0].paths.a.realm: realm "realm2" is not defined in this configuration',
        'workers[0].transports[0].paths.b.role: role "admin" is not defined in realm "realm1"',
        'workers[0].transports[0].paths.c.realm: realm "nowhere" is not defined in this configuration',
      ],
    },
    {
      name: 'sse: only anonymous and ticket; roles of its sign-in exist in its realm',
      paths: {
        a: { type: 'sse', realm: 'realm1', auth: { wampcra: { type: 'static', users: {} } } },
        b: { type: 'sse', realm: 'realm1', auth: { anonymous: { type: 'static', role: 'guest' }, ticket: { type: 'static', principals: { joe: { ticket: 't', role: 'vip' } } } } },
        c: { type: 'sse', realm: 'realm1', options: { max_topics: 0, heartbeat_interval: 10, max_streams: 0, max_per_address: -1 } },
      },
      problems: [
        'workers[0].transports[0].paths.a.auth.wampcra: an SSE path offers anonymous and ticket authentication only (an EventSource cannot answer a wampcra challenge)',
        'workers[0].transports[0].paths.c.options.heartbeat_interval: expected at least 1000 ms',
        'workers[0].transports[0].paths.c.options.max_topics: expected a positive integer',
        'workers[0].transports[0].paths.c.options.max_streams: expected a positive integer',
        'workers[0].transports[0].paths.c.options.max_per_address: expected an integer >= 0',
        'workers[0].transports[0].paths.b.auth.anonymous.role: role "guest" is not defined in realm "realm1"',
        'workers[0].transports[0].paths.b.auth.ticket.principals.joe.role: role "vip" is not defined in realm "realm1"',
      ],
    },
    {
      name: 'longpoll: connection caps are whole numbers within bounds',
      paths: { lp: { type: 'longpoll', options: { max_transports: 0, max_per_address: 2_000_000 } } },
      problems: [
        'workers[0].transports[0].paths.lp.options.max_transports: expected a positive integer',
        'workers[0].transports[0].paths.lp.options.max_per_address: expected at most 1000000 transports',
      ],
    },
    {
      name: 'two services on one URL path after flattening',
      paths: { 'api/publish': { type: 'health' }, api: { type: 'path', paths: { publish: { type: 'metrics' }, empty: { type: 'path', paths: {} } } } },
      problems: [
        'workers[0].transports[0].paths.api.paths.empty.paths: a path service needs at least one path',
        'workers[0].transports[0].paths.api.paths.publish: URL path /api/publish is also served by workers[0].transports[0].paths["api/publish"]',
      ],
    },
    {
      name: 'a bad trusted proxy, and a websocket path cannot set the listener-wide list',
      paths: { ws: { type: 'websocket', options: { trusted_proxies: ['10.0.0.1'] } } },
      options: { trusted_proxies: ['10.0.0.300'] },
      problems: [
        "workers[0].transports[0].paths.ws.options.trusted_proxies: trusted_proxies applies to the whole port: give it in the web transport's options",
        'workers[0].transports[0].options.trusted_proxies[0]: "10.0.0.300" is not an IP address or range ("10.0.0.0/8", "::1", "192.168.1.0/255.255.255.0")',
      ],
    },
    {
      name: 'path keys may not climb out with "."-segments',
      paths: { 'a/../b': { type: 'health' } },
      problems: ['workers[0].transports[0].paths["a/../b"]: a path segment must not be "." or ".."'],
    },
  ];

  for (const { name, paths, options, problems } of cases) {
    it(name, () => {
      assert.deepEqual(problemsOf(webDocument(paths, options)), problems);
    });
  }

  it("a webhook topic must pass its realm's strict URI check", () => {
    const document = configDocument({
      realms: [realmWithRoles('strict1', ['hooks'], { uri_check: 'strict' })],
      transports: [
        {
          type: 'web',
          endpoint: { type: 'tcp', port: 0 },
          paths: { hook: { type: 'webhook', realm: 'strict1', role: 'hooks', options: { topic: 'GitHub-Events' } } },
        },
      ],
    });
    assert.deepEqual(problemsOf(document), [
      'workers[0].transports[0].paths.hook.options.topic: "GitHub-Events" does not follow realm "strict1"\'s strict URI rule (a-z, 0-9 and "_" per component); change it or set the realm\'s options.uri_check to "loose"',
    ]);
  });
});

describe('client limits of a web transport (Junction extensions)', () => {
  it('reads request_body_timeout, a websocket max_per_address and the bridge limits; absent ones stay absent (the defaults apply)', () => {
    const listener = loadDocument(webDocument({
      ws: { type: 'websocket', options: { max_per_address: 3 } },
      pub: { type: 'publisher', realm: 'realm1', role: 'anonymous', options: { max_requests_in_flight: 5, key: 'k', secret: 's', replay_memory: 7 } },
      hook: { type: 'webhook', realm: 'realm1', role: 'anonymous', options: { topic: 'com.hook', max_requests_in_flight: 9 } },
      plain: { type: 'publisher', realm: 'realm1', role: 'anonymous' },
    }, { request_body_timeout: 4000 })).listeners[0]!;
    assert.equal(listener.requestBodyTimeoutMs, 4000);
    const path = (key: string) => listener.paths[key] as Extract<PathService, { options: object }>;
    assert.equal((path('/ws').options as { maxPerAddress: number }).maxPerAddress, 3);
    const pub = path('/pub').options as { maxRequestsInFlight?: number; signature?: { replayMemory?: number } };
    assert.equal(pub.maxRequestsInFlight, 5);
    assert.equal(pub.signature?.replayMemory, 7);
    assert.equal((path('/hook').options as { maxRequestsInFlight?: number }).maxRequestsInFlight, 9);
    assert.equal('maxRequestsInFlight' in path('/plain').options, false);
    assert.equal(loadDocument(webDocument({ '/': { type: 'nodeinfo' } })).listeners[0]!.requestBodyTimeoutMs, undefined);
  });

  it('reads a bridge path\'s allowed_origins (publisher, caller, webhook); absent, none is allowed', () => {
    const origins = ['https://app.example.com', 'https://*.example.org', 'null'];
    const listener = loadDocument(webDocument({
      pub: { type: 'publisher', realm: 'realm1', role: 'anonymous', options: { allowed_origins: origins } },
      call: { type: 'caller', realm: 'realm1', role: 'anonymous', options: { allowed_origins: ['*'] } },
      hook: { type: 'webhook', realm: 'realm1', role: 'anonymous', options: { topic: 'com.hook', allowed_origins: ['https://forms.example.com'] } },
      plain: { type: 'publisher', realm: 'realm1', role: 'anonymous' },
    })).listeners[0]!;
    const originsOf = (key: string) => (listener.paths[key] as Extract<PathService, { options: object }>).options as { allowedOrigins?: string[] };
    assert.deepEqual(originsOf('/pub').allowedOrigins, origins);
    assert.deepEqual(originsOf('/call').allowedOrigins, ['*']);
    assert.deepEqual(originsOf('/hook').allowedOrigins, ['https://forms.example.com']);
    assert.equal('allowedOrigins' in originsOf('/plain'), false);
    assert.match(problemsOf(webDocument({ pub: { type: 'publisher', realm: 'realm1', role: 'anonymous', options: { allowed_origins: [''] } } })).join('\n'), /allowed_origins/);
  });

  it('refuses a request_body_timeout of 0 and a negative max_per_address', () => {
    assert.deepEqual(problemsOf(webDocument({ ws: { type: 'websocket', options: { max_per_address: -1 } } }, { request_body_timeout: 0 })), [
      'workers[0].transports[0].paths.ws.options.max_per_address: expected an integer >= 0',
      'workers[0].transports[0].options.request_body_timeout: expected at least 1 ms',
    ]);
  });
});
