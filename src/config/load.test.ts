import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig, parseConfigText } from './load.js';
import type { JunctionConfig } from './model.js';
import { plain, problemLinesOf, websocketAt, websocketDefaults } from './test-support.js';
import { defaultRealmLimits } from './schema-router.js';
import { pathServiceTypes } from './schema-web-services.js';

/** What an unknown path type's message lists: every path service, in the schema's order. */
const supportedPathTypes = pathServiceTypes.join(', ');

/** The problem lines a config text produces, without their codes (fails the test when it loads). */
function problemsOf(text: string, env: Record<string, string> = {}): string[] {
  return problemLinesOf(() => parseConfigText(text, { source: 'test.yaml', env }));
}

function problemsOfValue(value: unknown, env: Record<string, string> = {}): string[] {
  return problemLinesOf(() => parseConfig(value, { source: 'test', env }));
}

/** A minimal valid router worker; `patch` replaces top-level keys of it. */
function router(patch: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'router',
    realms: [{ name: 'realm1', roles: [{ name: 'anonymous', permissions: [{ uri: '*', allow: { call: true } }] }] }],
    transports: [{ type: 'websocket', endpoint: { type: 'tcp', port: 9000 } }],
    ...patch,
  };
}

function load(value: unknown, env: Record<string, string> = {}): JunctionConfig {
  return parseConfig(value, { source: 'test', env });
}

const validYaml = `version: 2
workers:
  - type: router
    realms:
      - name: realm1
        roles:
          - name: anonymous
            permissions:
              - uri: "com.example.*"
                allow:
                  publish: true
    transports:
      - type: web
        endpoint:
          type: tcp
          port: 8080
        paths:
          ws:
            type: websocket
`;

describe('parseConfigText', () => {
  it('reads YAML and JSON into the same model', () => {
    const fromYaml = parseConfigText(validYaml, { source: 'a.yaml', env: {} });
    const json = JSON.stringify({
      version: 2,
      workers: [
        {
          type: 'router',
          realms: [{ name: 'realm1', roles: [{ name: 'anonymous', permissions: [{ uri: 'com.example.*', allow: { publish: true } }] }] }],
          transports: [{ type: 'web', endpoint: { type: 'tcp', port: 8080 }, paths: { ws: { type: 'websocket' } } }],
        },
      ],
    }, null, 4);
    const fromJson = parseConfigText(json, { source: 'a.json', env: {} });
    assert.deepEqual(fromJson, fromYaml);
    assert.equal(fromYaml.realms[0]!.roles[0]!.permissions![0]!.uri, 'com.example.');
  });

  it('fills in every default', () => {
    const config = parseConfigText(validYaml, { source: 'a.yaml', env: {} });
    assert.deepEqual(config.realms[0]!.options, { enableMetaApi: true, uriCheck: 'loose', limits: defaultRealmLimits });
    assert.deepEqual(config.realms[0]!.store, { eventHistory: [], callQueue: [] });
    assert.deepEqual(config.realms[0]!.roles[0]!.permissions![0], {
      uri: 'com.example.',
      match: 'prefix',
      allow: { call: false, register: false, publish: true, subscribe: false },
      disclose: { caller: false, publisher: false },
      cache: false,
    });
    const listener = config.listeners[0]!;
    assert.equal(listener.id, 'transport0');
    assert.equal(listener.kind, 'web');
    assert.deepEqual(listener.endpoint, { port: 8080, interface: '0.0.0.0' });
    assert.deepEqual(Object.keys(listener.paths), ['/ws']);
    assert.deepEqual(plain(listener.paths['/ws']), websocketDefaults());
    assert.deepEqual(config.components, []);
    assert.deepEqual(config.notices, []);
  });

  it('reports a YAML syntax error with its position', () => {
    assert.deepEqual(problemsOf('version: 2\nworkers: [\n'), [
      'test.yaml:3:1: syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ]);
  });

  it("reports a JSON file's syntax error in JSON's words, once, at its position", () => {
    assert.deepEqual(problemsOf('{"version": 2, "secret": "hunter2" "workers": []}'), [
      "test.yaml:1:36: syntax error: Expected ',' or '}' after property value",
    ]);
    assert.deepEqual(problemsOf('{\n  "workers": [1, 2\n  "version": 2\n}'), [
      "test.yaml:3:3: syntax error: Expected ',' or ']' after array element",
    ]);
  });

  it('reads a .json file as JSON, as Crossbar does: a comment, a trailing comma or single quotes are named where they are', () => {
    const jsonProblems = (text: string) => problemLinesOf(() => parseConfigText(text, { source: 'config.json', env: {} }));
    assert.deepEqual(jsonProblems('{\n  "version": 2,\n  // the router\n  "workers": []\n}'), [
      'config.json:3:3: syntax error: Expected double-quoted property name (JSON has no comments: remove it, or write the file as YAML, config.yaml)',
    ]);
    assert.deepEqual(jsonProblems('# the node\n{"version": 2, "workers": []}'), [
      "config.json: syntax error: unexpected '#' in JSON (JSON has no comments: remove it, or write the file as YAML, config.yaml)",
    ]);
    assert.deepEqual(jsonProblems('{"version": 2, "workers": [],\n}'), [
      'config.json:2:1: syntax error: Expected double-quoted property name (JSON allows no comma after the last item)',
    ]);
    assert.deepEqual(jsonProblems("{'version': 2, \"workers\": []}"), [
      "config.json:1:2: syntax error: Expected property name or '}' (JSON strings and keys take double quotes)",
    ]);
    // V8 quotes the text around a token it cannot place: none of it is printed.
    assert.deepEqual(jsonProblems('{"ticket": hunter2}'), ["config.json: syntax error: unexpected 'h' in JSON"]);
    // The same text named .yaml is YAML, where all three are allowed.
    assert.deepEqual(problemsOf('{"version": 2, # the router\n "workers": [],\n}'), ['test.yaml:2:13: workers: no router worker: add a worker with "type": "router", its realms and its transports']);
  });

  it('reports a duplicate key instead of keeping the last one', () => {
    const lines = problemsOf('{"version": 2, "version": 2, "workers": []}');
    assert.deepEqual(lines, ['test.yaml:1:16: duplicate key: each key may appear once per object']);
  });

  it('reports an empty file', () => {
    assert.deepEqual(problemsOf('# nothing here\n'), ['test.yaml: the configuration is empty']);
  });
});

describe('problems', () => {
  it('a wrong type names the path, line and column, and what was expected', () => {
    const text = validYaml.replace('publish: true', 'publish: "yes"');
    assert.deepEqual(problemsOf(text), [
      'test.yaml:11:28: workers[0].realms[0].roles[0].permissions[0].allow.publish: expected boolean, got string',
    ]);
  });

  it('an unknown key points at the key and suggests the known one', () => {
    const text = validYaml.replace('        roles:', '        rolez: []\n        roles:');
    assert.deepEqual(problemsOf(text), ['test.yaml:6:9: workers[0].realms[0].rolez: unknown key "rolez" (did you mean "roles"?)']);
  });

  it('a camelCase key gets its snake_case spelling suggested', () => {
    const text = validYaml.replace('            type: websocket', '            type: websocket\n            options:\n              maxMessageSize: 10');
    assert.deepEqual(problemsOf(text), [
      'test.yaml:21:15: workers[0].transports[0].paths.ws.options.maxMessageSize: unknown key "maxMessageSize" (did you mean "max_message_size"?)',
    ]);
  });

  it('a missing required key says what belongs there', () => {
    const text = validYaml.replace('      - name: realm1\n', '      - roles2: 1\n');
    assert.deepEqual(problemsOf(text), [
      'test.yaml:5:9: workers[0].realms[0].name: missing (expected string)',
      'test.yaml:5:9: workers[0].realms[0].roles2: unknown key "roles2" (did you mean "roles"?)',
    ]);
  });

  it('lists every problem of the file, in document order', () => {
    const text = validYaml
      .replace('publish: true', 'publish: 1')
      .replace('port: 8080', 'port: 70000')
      .replace('type: websocket', 'type: catalog');
    assert.deepEqual(problemsOf(text), [
      'test.yaml:11:28: workers[0].realms[0].roles[0].permissions[0].allow.publish: expected boolean, got number',
      'test.yaml:16:17: workers[0].transports[0].endpoint.port: expected a port number from 0 to 65535',
      `test.yaml:19:19: workers[0].transports[0].paths.ws.type: not supported by Junction: the "catalog" path service (supported: ${supportedPathTypes})`,
    ]);
  });

  it('no router worker', () => {
    assert.deepEqual(problemsOfValue({ version: 2, workers: [] }), [
      'test: workers: no router worker: add a worker with "type": "router", its realms and its transports',
    ]);
  });

  it('no realms is no problem (Crossbar serves such a router\'s web paths): one notice, given or left out', () => {
    const notice = 'workers[0].realms: no realms defined: the web paths are served, and every WAMP or MQTT client is refused with wamp.error.no_such_realm; add a realm for them [config.notice.no_realms]';
    for (const worker of [router({ realms: [] }), router({ realms: undefined })]) {
      const config = load({ version: 2, workers: [worker] });
      assert.deepEqual(config.realms, []);
      assert.deepEqual(config.notices, [notice]);
    }
    // A second router worker with a realm: no notice (nothing is refused for want of a realm).
    const merged = load({ version: 2, workers: [router({ realms: [] }), router({ transports: [{ type: 'websocket', endpoint: { type: 'tcp', port: 9001 } }] })] });
    assert.deepEqual(merged.notices.filter((line) => line.includes('no_realms')), []);
  });

  it('a role with both permissions and authorizer; an empty role name', () => {
    const roles = [
      { name: 'both', permissions: [], authorizer: 'com.example.authorize' },
      { name: '' , permissions: [] },
    ];
    assert.deepEqual(problemsOfValue({ workers: [router({ realms: [{ name: 'realm1', roles }] })] }), [
      'test: workers[0].realms[0].roles[0]: a role has "permissions" or an "authorizer", not both',
      'test: workers[0].realms[0].roles[1].name: a role name must not be empty',
    ]);
  });

  it('duplicate realm and role names', () => {
    const realm = { name: 'realm1', roles: [{ name: 'r', permissions: [] }, { name: 'r', permissions: [] }] };
    assert.deepEqual(problemsOfValue({ workers: [router({ realms: [realm, { name: 'realm1' }] })] }), [
      'test: workers[0].realms[1].name: duplicate realm name "realm1" (first defined at workers[0].realms[0].name)',
      'test: workers[0].realms[0].roles[1].name: duplicate role name "r" (first defined at workers[0].realms[0].roles[0].name)',
    ]);
  });

  it('a transport auth role that no realm defines is a problem (every such sign-in would fail with no_such_role); one some realm defines is fine', () => {
    const transports = [
      { type: 'websocket', endpoint: { type: 'tcp', port: 9000 }, auth: { anonymous: { type: 'static', role: 'guest' } } },
    ];
    assert.deepEqual(problemsOfValue({ workers: [router({ transports })] }), [
      'test: workers[0].transports[0].auth.anonymous.role: role "guest" is not defined in any realm, so signing in as this principal would always fail with wamp.error.no_such_role',
    ]);
    const guests = { name: 'guests', roles: [{ name: 'guest', permissions: [] }] };
    const config = load({ workers: [router({ transports, realms: [...(router().realms as unknown[]), guests] })] });
    assert.deepEqual(websocketAt(config.listeners[0], '/').auth, { anonymous: { type: 'static', role: 'guest' } });
  });

  it('a scram principal: Argon2 without memory, keys that are not 32 bytes of hex, an unknown kdf, a role no realm defines', () => {
    const key = 'ab'.repeat(32);
    const principals = {
      alice: { kdf: 'argon2id-13', iterations: 4096, salt: 'e0d4', 'stored-key': key, 'server-key': key, role: 'anonymous' },
      bob: { kdf: 'pbkdf2', iterations: 4096, salt: 'xy', 'stored-key': 'abcd', 'server-key': key, role: 'anonymous' },
      carol: { kdf: 'scrypt', iterations: 1, salt: 'e0d4', 'stored-key': key, 'server-key': key, role: 'nobody' },
    };
    const transports = [{ type: 'websocket', endpoint: { type: 'tcp', port: 9000 }, auth: { scram: { type: 'static', principals } } }];
    const at = 'test: workers[0].transports[0].auth.scram.principals';
    assert.deepEqual(problemsOfValue({ workers: [router({ transports })] }), [
      `${at}.alice.memory: kdf "argon2id-13" needs "memory" (KiB)`,
      `${at}.bob.salt: expected bytes in hex`,
      `${at}.bob["stored-key"]: expected 32 bytes as 64 hex characters`,
      `${at}.carol.kdf: expected "argon2id-13" or "argon2id13" or "pbkdf2"`,
      `${at}.carol.role: role "nobody" is not defined in any realm, so signing in as this principal would always fail with wamp.error.no_such_role`,
    ]);
  });

  it('ports out of range and ports used twice', () => {
    const transports = [
      { type: 'websocket', endpoint: { type: 'tcp', port: 8080 } },
      { type: 'websocket', endpoint: { type: 'tcp', port: 8080, interface: '127.0.0.1' } },
      { type: 'websocket', endpoint: { type: 'tcp', port: -1 } },
      { type: 'websocket', endpoint: { type: 'tcp', port: 0 } },
      { type: 'websocket', endpoint: { type: 'tcp', port: 0 } },
      { type: 'websocket', endpoint: { type: 'tcp', port: 8081, interface: '127.0.0.1' } },
      { type: 'websocket', endpoint: { type: 'tcp', port: 8081, interface: '127.0.0.2' } },
    ];
    // Without source text there are no positions: schema problems come before cross-check ones.
    assert.deepEqual(problemsOfValue({ workers: [router({ transports })] }), [
      'test: workers[0].transports[2].endpoint.port: expected a port number from 0 to 65535',
      'test: workers[0].transports[1].endpoint.port: port 8080 on 127.0.0.1 is already used by workers[0].transports[0] (0.0.0.0)',
    ]);
  });

  it('unsupported Crossbar parts are errors that name them', () => {
    const transports = [
      { type: 'websocket', endpoint: { type: 'onion', port: 9000 } },
      { type: 'websocket', endpoint: { type: 'tcp', port: 9001 }, auth: { anonymous: { type: 'static' }, cookie: {} } },
      { type: 'websocket', endpoint: { type: 'tcp', port: 9002 }, serializers: ['ubjson'] },
    ];
    assert.deepEqual(problemsOfValue({ workers: [router({ transports }), { type: 'hostmonitor' }] }), [
      'test: workers[0].transports[0].endpoint.type: not supported by Junction: "onion" endpoints (supported: tcp, unix)',
      'test: workers[0].transports[1].auth.cookie: cookie authentication needs cookie tracking: add a "cookie" block (for example {"store": {"type": "memory"}}) beside "auth"',
      'test: workers[0].transports[2].serializers: names no serializer Junction speaks; add one of json, msgpack, cbor',
      'test: workers[1].type: not supported by Junction: host monitor workers',
    ]);
  });

  it('several router workers: names and ports are checked across them', () => {
    const otherRealm1 = { name: 'realm1', roles: [{ name: 'anonymous', permissions: [{ uri: '*', allow: { call: false } }] }] };
    assert.deepEqual(problemsOfValue({ workers: [router(), router({ sign_in: {}, realms: [otherRealm1] })] }).map((line) => line.replace(/: Junction runs one router.*/, '')), [
      'test: workers[1].realms[0].name: realm "realm1" is also defined by workers[0].realms[0], of another router worker, but they differ at workers[1].realms[0].roles[0].permissions[0].allow.call',
      'test: workers[1].transports[0].endpoint.port: port 9000 on 0.0.0.0 is already used by workers[0].transports[0] (0.0.0.0)',
      'test: workers[1].sign_in: sign_in applies to the whole node: give it once, in workers[0]',
    ]);
  });

  it('web paths that collide once normalized, and an auth block with no method', () => {
    const transports = [
      {
        type: 'web',
        endpoint: { type: 'tcp', port: 9000 },
        paths: { ws: { type: 'websocket', auth: {} }, '/ws/': { type: 'websocket' } },
      },
    ];
    assert.deepEqual(problemsOfValue({ workers: [router({ transports })] }), [
      'test: workers[0].transports[0].paths.ws.auth: enables no authentication method, so no client could join; add anonymous, ticket, wampcra, cryptosign, scram or tls',
      'test: workers[0].transports[0].paths["/ws/"]: paths "ws" and "/ws/" are the same URL path /ws',
    ]);
  });

  it('realms named by authenticators and principals must exist', () => {
    const auth = {
      ticket: { type: 'dynamic', authenticator: 'com.example.authenticate', 'authenticator-realm': 'auth' },
      cryptosign: {
        type: 'static',
        principals: { dev: { authorized_keys: ['ab'.repeat(32)], role: 'anonymous', realm: 'devices' } },
      },
    };
    const transports = [{ type: 'websocket', endpoint: { type: 'tcp', port: 9000 }, auth }];
    assert.deepEqual(problemsOfValue({ workers: [router({ transports })] }), [
      'test: workers[0].transports[0].auth.ticket["authenticator-realm"]: realm "auth" is not defined in this configuration',
      'test: workers[0].transports[0].auth.cryptosign.principals.dev.realm: realm "devices" is not defined in this configuration',
    ]);
  });

  it('wampcra salting needs salt, iterations and keylen together', () => {
    const auth = { wampcra: { type: 'static', users: { joe: { secret: 's', role: 'anonymous', salt: 'x' } } } };
    const transports = [{ type: 'websocket', endpoint: { type: 'tcp', port: 9000 }, auth }];
    assert.deepEqual(problemsOfValue({ workers: [router({ transports })] }), [
      'test: workers[0].transports[0].auth.wampcra.users.joe: "salt", "iterations" and "keylen" go together (only "salt" given)',
    ]);
  });

  it('a version other than 1 or 2', () => {
    assert.deepEqual(problemsOfValue({ version: 3, workers: [router()] }), [
      'test: version: expected 2 (or 1, whose permissions are read as `crossbar upgrade` converts them)',
    ]);
  });
});

describe('environment variables', () => {
  const withTicket = (ticket: string) => ({
    workers: [
      router({
        transports: [
          {
            type: 'websocket',
            endpoint: { type: 'tcp', port: '${PORT}' },
            auth: { ticket: { type: 'static', principals: { joe: { ticket, role: 'anonymous' } } } },
          },
        ],
      }),
    ],
  });

  it('substitutes ${NAME} in values, and a port from the environment', () => {
    const config = load(withTicket('${JOE_TICKET}'), { JOE_TICKET: 's3cret', PORT: '8443' });
    const auth = websocketAt(config.listeners[0], '/').auth;
    assert.equal(auth.ticket?.type === 'static' && auth.ticket.principals.joe!.ticket, 's3cret');
    assert.equal(config.listeners[0]!.endpoint.port, 8443);
  });

  it("reads Crossbar's \"$PORT\" form for endpoint ports", () => {
    const transports = [{ type: 'websocket', endpoint: { type: 'tcp', port: '$PORT' } }];
    assert.equal(load({ workers: [router({ transports })] }, { PORT: '7000' }).listeners[0]!.endpoint.port, 7000);
  });

  it('names a missing variable once, without its value or a follow-on type error', () => {
    assert.deepEqual(problemsOfValue(withTicket('prefix-${JOE_TICKET}'), {}), [
      'test: workers[0].transports[0].endpoint.port: environment variable PORT is not set',
      'test: workers[0].transports[0].auth.ticket.principals.joe.ticket: environment variable JOE_TICKET is not set',
    ]);
  });

  it('keeps secrets out of messages when a substituted value is wrong', () => {
    const lines = problemsOfValue(withTicket('${JOE_TICKET}'), { JOE_TICKET: 'hunter2-secret', PORT: 'hunter2-secret' });
    assert.deepEqual(lines, ['test: workers[0].transports[0].endpoint.port: expected a port number from 0 to 65535']);
    assert.ok(!lines.join('\n').includes('hunter2'));
  });
});

describe('notices', () => {
  it('accepts Crossbar runtime settings with one notice each; Python components run (no notice)', () => {
    const config = load({
      version: 2,
      controller: { options: { title: 'node1' } },
      workers: [
        router({
          options: { pythonpath: ['..'], title: 'router' },
          components: [{ type: 'class', classname: 'hello.AppSession', realm: 'realm1', role: 'anonymous', extra: { a: 1 } }],
        }),
        {
          type: 'container',
          options: { pythonpath: ['..'] },
          components: [
            {
              type: 'class',
              classname: 'worker.Backend',
              realm: 'realm1',
              transport: { type: 'websocket', endpoint: { type: 'tcp', host: '127.0.0.1', port: 9000 }, url: 'ws://127.0.0.1:9000' },
            },
          ],
        },
      ],
    });
    assert.deepEqual(config.notices, [
      'controller.options.title: a node controller option (process title, ...) is not needed by Junction and was ignored [config.notice.ignored]',
      'workers[0].options.title: the worker process title (title) is not needed by Junction and was ignored [config.notice.ignored]',
    ]);
    assert.deepEqual(config.components, [
      { kind: 'python', where: 'router', type: 'class', classname: 'hello.AppSession', realm: 'realm1', role: 'anonymous', extra: { a: 1 } },
      { kind: 'python', where: 'container', type: 'class', classname: 'worker.Backend', realm: 'realm1', extra: {} },
    ]);
  });
});

describe('model details', () => {
  it('standalone websocket transports listen on "/", web paths are normalized', () => {
    const transports = [
      { type: 'websocket', id: 'main_ws', endpoint: { type: 'tcp', port: 9000, version: 6 } },
      {
        type: 'web',
        endpoint: { type: 'tcp', port: 9001, interface: '::1' },
        paths: { '/': { type: 'websocket' }, 'api/v1/ws': { type: 'websocket' } },
      },
    ];
    const [standalone, web] = load({ workers: [router({ transports })] }).listeners;
    assert.equal(standalone!.id, 'main_ws');
    assert.equal(standalone!.kind, 'websocket');
    assert.deepEqual(standalone!.endpoint, { port: 9000, interface: '::' });
    assert.deepEqual(Object.keys(standalone!.paths), ['/']);
    assert.equal(web!.id, 'transport1');
    assert.deepEqual(Object.keys(web!.paths), ['/', '/api/v1/ws']);
  });

  it('principal and path records cannot be reached through Object prototype names', () => {
    const auth = { ticket: { type: 'static', principals: { joe: { ticket: 't', role: 'anonymous' } } } };
    const config = load({ workers: [router({ transports: [{ type: 'websocket', endpoint: { type: 'tcp', port: 1 }, auth }] })] });
    const ticket = websocketAt(config.listeners[0], '/').auth.ticket;
    assert.equal(ticket?.type, 'static');
    assert.equal(ticket?.type === 'static' ? ticket.principals['constructor'] : 'not static', undefined);
    assert.equal(config.listeners[0]!.paths['constructor'], undefined);
  });

  it('maps options, compression, TLS paths and the store', () => {
    const config = parseConfig(
      {
        workers: [
          router({
            realms: [
              {
                name: 'realm1',
                options: { enable_meta_api: false, uri_check: 'loose' },
                store: { type: 'memory', limit: 7, limit_bytes: 5000, 'event-history': [{ uri: 'a.b' }, { uri: 'a.', match: 'prefix', limit: 3, limit_bytes: 900 }] },
              },
            ],
            transports: [
              {
                type: 'websocket',
                endpoint: {
                  type: 'tcp',
                  port: 443,
                  backlog: 100,
                  tls: { key: 'k.pem', certificate: '/etc/c.pem', chain_certificates: ['chain.pem'], ciphers: 'HIGH' },
                },
                serializers: ['cbor', 'cbor'],
                options: { compression: { deflate: { max_window_bits: 12 } }, auto_ping_interval: 0 },
              },
            ],
          }),
        ],
      },
      { source: 'test', env: {}, baseDir: '/srv/junction' },
    );
    assert.deepEqual(config.realms[0]!.options, { enableMetaApi: false, uriCheck: 'loose', limits: defaultRealmLimits });
    assert.deepEqual(config.realms[0]!.store.eventHistory, [
      { uri: 'a.b', match: 'exact', limit: 7, limitBytes: 5000 },
      { uri: 'a.', match: 'prefix', limit: 3, limitBytes: 900 },
    ]);
    const listener = config.listeners[0]!;
    assert.deepEqual(listener.endpoint, {
      port: 443,
      interface: '0.0.0.0',
      backlog: 100,
      tls: { key: '/srv/junction/k.pem', certificate: '/etc/c.pem', chainCertificates: ['/srv/junction/chain.pem'], ciphers: 'HIGH' },
    });
    const service = websocketAt(listener, '/');
    assert.deepEqual(service.serializers, ['cbor']);
    assert.equal(service.options.compression, true);
    assert.equal(service.options.autoPingInterval, 0);
    assert.deepEqual(config.notices, [
      'workers[0].transports[0].options.compression.deflate.max_window_bits: the permessage-deflate tuning parameter max_window_bits (ws defaults apply) is not needed by Junction and was ignored [config.notice.ignored]',
    ]);
  });
});

describe('syntax errors and secrets', () => {
  it('does not quote the offending token of a syntax error', () => {
    // The parser's own message here is 'Unexpected scalar token in YAML stream: "top-secret"'.
    const lines = problemsOf('{"a": 1}\n{"ticket": top-secret}\n');
    assert.ok(lines.includes('test.yaml:2:12: syntax error: Unexpected scalar token in YAML stream: "…"'), lines.join('\n'));
    assert.ok(!lines.join('\n').includes('top-secret'));
  });
});

describe("Crossbar's forms of realms, roles and permissions", () => {
  const realmOf = (roles: unknown[], options?: Record<string, unknown>) => ({
    version: 2,
    workers: [router({ realms: [{ name: 'realm1', roles, ...(options === undefined ? {} : { options }) }] })],
  });

  it('a version-1 file (no "version") has its old-form permissions converted; new-form ones stay as written', () => {
    const config = load({
      workers: [router({ realms: [{ name: 'realm1', roles: [{ name: 'a', permissions: [{ uri: 'com.*', publish: true }, { uri: 'x', allow: { call: true } }] }] }] })],
    });
    assert.deepEqual(
      config.realms[0]!.roles[0]!.permissions!.map((p) => [p.uri, p.match, p.allow, p.disclose, p.cache]),
      [
        ['com.', 'prefix', { call: false, register: false, publish: true, subscribe: false }, { caller: false, publisher: false }, true],
        ['x', 'exact', { call: true, register: false, publish: false, subscribe: false }, { caller: false, publisher: false }, false],
      ],
    );
    assert.match(config.notices[0]!, /^version: configuration version 1: 1 permission in the old form \("publish": true \.\.\. beside "uri"\) was read as `crossbar upgrade` converts it \(into "allow"/);
  });

  it('the old form in a file that says "version": 2 is refused with what to write instead', () => {
    assert.deepEqual(problemsOfValue(realmOf([{ name: 'a', permissions: [{ uri: 'com.*', publish: true }] }])), [
      'test: workers[0].realms[0].roles[0].permissions[0].publish: "publish" beside "uri" is the version-1 form: with "version": 2 write "allow": {"publish": true}, or leave "version" out to have the file read as `crossbar upgrade` converts it',
    ]);
  });

  it('allow-by-default beside permissions is unused, with a notice', () => {
    const config = load(realmOf([{ name: 'a', 'allow-by-default': true, permissions: [] }]));
    assert.deepEqual(config.notices, [
      'workers[0].realms[0].roles[0]["allow-by-default"]: not used: the role is decided by its permissions alone, as in Crossbar [config.notice.allow_by_default]',
    ]);
    assert.deepEqual(config.realms[0]!.roles[0]!.permissions, []);
  });

  it('an authorizer with "-" or upper case is fine in a loose realm and refused in a strict one', () => {
    const role = { name: 'a', authorizer: 'com.example.Authorize-Me' };
    assert.equal(load(realmOf([role])).realms[0]!.roles[0]!.authorizer, 'com.example.Authorize-Me');
    assert.deepEqual(problemsOfValue(realmOf([role], { uri_check: 'strict' })), [
      'test: workers[0].realms[0].roles[0].authorizer: "com.example.Authorize-Me" does not follow realm "realm1"\'s strict URI rule (a-z, 0-9 and "_" per component); change it or set the realm\'s options.uri_check to "loose"',
    ]);
  });

  it('realm names are URIs; a role name may have spaces but not be empty', () => {
    assert.deepEqual(problemsOfValue({ version: 2, workers: [router({ realms: [{ name: 'my realm', roles: [{ name: 'web client', permissions: [] }] }] })] }), [
      'test: workers[0].realms[0].name: a realm name is a URI: non-empty components separated by ".", without whitespace or "#"',
    ]);
  });
});
