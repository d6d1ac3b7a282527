import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfigText } from './load.js';
import { ConfigError, formatProblem } from './problems.js';
import { configDocument, loadDocument, realmWithRoles, webDocument } from './test-support.js';

/**
 * Which problem gets which code (docs/errors.md says what each means): one document per kind of
 * schema mistake and per cross-check, and the printed line ends in the code.
 */

/** The codes of a rejected document's problems, as `path code` strings. */
function codesOf(load: () => unknown): string[] {
  try {
    load();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems.map((problem) => `${formatProblem('', problem).split(': ')[1]} ${problem.code}`);
  }
  assert.fail('expected the configuration to be rejected');
}

const ws = (extra: Record<string, unknown> = {}) => ({ type: 'websocket', endpoint: { type: 'tcp', port: 0 }, ...extra });
const strictRealm = realmWithRoles('strict', ['anonymous'], { uri_check: 'strict' });

describe('configuration problem codes', () => {
  const cases: { name: string; document: unknown; expected: string[] }[] = [
    { name: 'a missing key', document: configDocument({ transports: [{ type: 'websocket' }] }), expected: ['workers[0].transports[0].endpoint config.missing'] },
    { name: 'a missing port', document: configDocument({ transports: [{ type: 'websocket', endpoint: { type: 'tcp' } }] }), expected: ['workers[0].transports[0].endpoint.port config.missing'] },
    { name: 'a wrong type', document: configDocument({ transports: [ws({ debug: 'yes', options: { auto_ping_interval: 'x' } })] }), expected: ['workers[0].transports[0].options.auto_ping_interval config.type'] },
    { name: 'a value out of range', document: configDocument({ transports: [{ type: 'websocket', endpoint: { type: 'tcp', port: 70000 } }] }), expected: ['workers[0].transports[0].endpoint.port config.value'] },
    { name: 'an unknown type', document: configDocument({ transports: [{ type: 'websockets', endpoint: { type: 'tcp', port: 0 } }] }), expected: ['workers[0].transports[0].type config.form'] },
    {
      name: 'keys that contradict each other',
      document: configDocument({ realms: [{ name: 'realm1', roles: [{ name: 'r', authorizer: 'com.authorize', permissions: [] }] }] }),
      expected: ['workers[0].realms[0].roles[0] config.conflict'],
    },
    { name: 'an unknown key', document: configDocument({ transports: [ws({ optoins: {} })] }), expected: ['workers[0].transports[0].optoins config.unknown_key'] },
    {
      name: 'a key in a place that does not take it',
      document: webDocument({ sse: { type: 'sse', realm: 'realm1', auth: { wampcra: { type: 'static', users: {} } } } }),
      expected: ['workers[0].transports[0].paths.sse.auth.wampcra config.not_here'],
    },
    { name: 'a Crossbar feature Junction lacks', document: { ...configDocument({}), controller: { blockchain: {} } }, expected: ['controller.blockchain config.unsupported'] },
    { name: 'no router worker', document: { version: 2, workers: [] }, expected: ['workers config.router.missing'] },
    { name: 'no transport', document: configDocument({ transports: [] }), expected: ['workers[0].transports config.transport.missing'] },
    {
      name: 'an undefined realm and role',
      document: webDocument({ publish: { type: 'publisher', realm: 'nowhere', role: 'anonymous' }, call: { type: 'caller', realm: 'realm1', role: 'nobody' } }),
      expected: ['workers[0].transports[0].paths.publish.realm config.realm.undefined', 'workers[0].transports[0].paths.call.role config.role.undefined'],
    },
    {
      name: 'duplicate names and ids',
      document: configDocument({ realms: [realmWithRoles('realm1', ['anonymous']), realmWithRoles('realm1', ['anonymous'])], transports: [ws({ id: 'one' }), ws({ id: 'one' })] }),
      expected: ['workers[0].realms[1].name config.name.duplicate', 'workers[0].transports[1].id config.id.duplicate'],
    },
    {
      name: 'one port twice',
      document: configDocument({ transports: [{ type: 'websocket', endpoint: { type: 'tcp', port: 9000 } }, { type: 'websocket', endpoint: { type: 'tcp', port: 9000 } }] }),
      expected: ['workers[0].transports[1].endpoint.port config.transport.address_taken'],
    },
    { name: 'an empty universal transport', document: configDocument({ transports: [{ type: 'universal', endpoint: { type: 'tcp', port: 0 } }] }), expected: ['workers[0].transports[0] config.transport.empty_universal'] },
    { name: 'a web transport without paths', document: webDocument({}), expected: ['workers[0].transports[0].paths config.path.none'] },
    { name: 'one URL path twice', document: webDocument({ ws: { type: 'websocket' }, '/ws': { type: 'websocket' } }), expected: ['workers[0].transports[0].paths["/ws"] config.path.clash'] },
    {
      name: 'URIs a realm refuses',
      document: configDocument({
        realms: [realmWithRoles('realm1', ['anonymous']), strictRealm],
        transports: [{ type: 'web', endpoint: { type: 'tcp', port: 0 }, paths: {
          hook: { type: 'webhook', realm: 'strict', role: 'anonymous', options: { topic: 'com.Example' } },
        } }],
        components: [{
          type: 'class', classname: 'MessageForwarder', realm: 'realm1', role: 'anonymous',
          extra: { subscriptions: [{ topic: 'com..x', match: 'prefix', url: 'http://127.0.0.1:5000/' }, { topic: '', match: 'prefix', url: 'http://127.0.0.1:5000/' }] },
        }],
      }),
      expected: [
        'workers[0].transports[0].paths.hook.options.topic config.uri.strict_rule',
        'workers[0].components[0].extra.subscriptions[0].topic config.uri.refused',
        'workers[0].components[0].extra.subscriptions[1].topic config.uri.matches_all',
      ],
    },
    {
      // Where the client names the realm, a static principal's role must exist in some realm; a dynamic authenticator's roles are unknown here.
      name: 'a static principal whose role no realm defines',
      document: configDocument({
        transports: [
          ws({ auth: { ticket: { type: 'static', principals: { app: { ticket: 't', role: 'backend' }, ops: { ticket: 't', role: 'admin' } } } } }),
          { type: 'rawsocket', endpoint: { type: 'tcp', port: 0 }, auth: { wampcra: { type: 'static', users: { joe: { secret: 's', role: 'backnd' } } }, anonymous: { type: 'static' } } },
          { type: 'web', endpoint: { type: 'tcp', port: 0 }, paths: {
            ws: { type: 'websocket', auth: { cryptosign: { type: 'static', principals: { dev: { authorized_keys: ['a'.repeat(64)], role: 'device' } } } } },
            lp: { type: 'longpoll', auth: { anonymous: { type: 'static', role: 'guest' }, ticket: { type: 'dynamic', authenticator: 'com.auth' } } },
          } },
        ],
      }),
      expected: [
        'workers[0].transports[0].auth.ticket.principals.ops.role config.role.nowhere',
        'workers[0].transports[1].auth.wampcra.users.joe.role config.role.nowhere',
        'workers[0].transports[2].paths.ws.auth.cryptosign.principals.dev.role config.role.nowhere',
        'workers[0].transports[2].paths.lp.auth.anonymous.role config.role.nowhere',
      ],
    },
    { name: 'a second sign_in', document: configDocument({}, [{ type: 'router', realms: [realmWithRoles('two', [])], transports: [], sign_in: {} }]), expected: ['workers[1].sign_in config.router.sign_in_repeated'] },
    {
      name: 'proxy workers: an unknown connection, one off this node, a bridge without a route, one port opened two ways',
      document: configDocument({}, [0, 1].map((index) => ({
        type: 'proxy',
        connections: { local: { transport: { type: 'websocket', endpoint: { type: 'tcp', host: 'localhost', port: 0 } } }, far: { transport: { type: 'rawsocket', endpoint: { type: 'tcp', host: 'core1', port: 9000 } } } },
        routes: { realm1: index === 0 ? { anonymous: 'nowhere' } : { anonymous: 'local', backend: 'local' } },
        transports: [{ type: 'web', endpoint: { type: 'tcp', port: 8080 }, paths: { call: { type: 'caller', realm: 'realm1', role: 'backend' } } }],
      }))),
      expected: [
        'workers[1].connections.far.transport.endpoint config.proxy.remote_connection',
        'workers[1].routes.realm1.anonymous config.proxy.no_connection',
        'workers[1].transports[0].paths.call config.proxy.no_route',
        'workers[2].connections.far.transport.endpoint config.proxy.remote_connection',
        'workers[2].transports[0].endpoint config.proxy.port_differs',
      ],
    },
    { name: 'an unset environment variable', document: configDocument({ transports: [{ type: 'websocket', endpoint: { type: 'tcp', port: '${NO_SUCH_PORT}' } }] }), expected: ['workers[0].transports[0].endpoint.port config.env.unset'] },
  ];

  for (const { name, document, expected } of cases) {
    it(name, () => {
      assert.deepEqual(codesOf(() => loadDocument(document)), expected);
    });
  }

  it('file-level problems: syntax, duplicate keys, an empty document', () => {
    assert.deepEqual(codesOf(() => parseConfigText('{"version": 2,', { source: 't' })).map((line) => line.split(' ').at(-1)), ['config.file.syntax']);
    assert.deepEqual(codesOf(() => parseConfigText('a: 1\na: 2\n', { source: 't' })).map((line) => line.split(' ').at(-1)), ['config.file.duplicate_key']);
    assert.deepEqual(codesOf(() => parseConfigText('', { source: 't' })).map((line) => line.split(' ').at(-1)), ['config.file.empty']);
  });

  it('says "missing" for an absent port, not that it is of the wrong form', () => {
    assert.throws(() => loadDocument(configDocument({ transports: [{ type: 'websocket', endpoint: { type: 'tcp' } }] })), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(error.problems.map((problem) => problem.message), ['missing (expected a port number from 0 to 65535)']);
      return true;
    });
  });

  it('suggests the role a mistyped one was likely meant to be, and says what would happen at sign-in', () => {
    const document = configDocument({ transports: [ws({ auth: { ticket: { type: 'static', principals: { app: { ticket: 't', role: 'backnd' } } } } })] });
    assert.throws(() => loadDocument(document), (error: Error) => {
      assert.equal(error.message, 'test: workers[0].transports[0].auth.ticket.principals.app.role: role "backnd" is not defined in any realm (did you mean "backend"?), ' +
        'so signing in as this principal would always fail with wamp.error.no_such_role [config.role.nowhere]');
      return true;
    });
    const typo = webDocument({ call: { type: 'caller', realm: 'realm1', role: 'backnd' } });
    assert.throws(() => loadDocument(typo), /role "backnd" is not defined in realm "realm1" \(did you mean "backend"\?\) \[config.role.undefined\]/);
  });

  it('ends each printed line with the code', () => {
    assert.throws(() => loadDocument(configDocument({ transports: [] })), (error: Error) => {
      assert.equal(error.message, 'test: workers[0].transports: no transports defined, so no client could connect: add a "websocket" or "web" transport [config.transport.missing]');
      return true;
    });
  });

  it('ends each notice with its code', () => {
    const config = loadDocument(configDocument({ options: { pythonpath: ['.'] } }));
    assert.deepEqual(config.notices, ['workers[0].options.pythonpath: the Python module search path (pythonpath) of a router without Python components, Python paths (wsgi, resource, wap, static package) or function authenticators is not needed by Junction and was ignored [config.notice.ignored]']);
  });
});
