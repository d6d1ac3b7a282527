import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configDocument, loadDocument, plain, problemsOf, realmWithRoles, websocketAt } from './test-support.js';

/** A router with realm1 (anonymous, user, admin) and a RawSocket backend for proxies on a Unix socket and TCP port 8442. */
function routerWithBackends(auth: Record<string, unknown> = { 'anonymous-proxy': { type: 'static' } }): Record<string, unknown> {
  return {
    realms: [realmWithRoles('realm1', ['anonymous', 'user', 'admin']), realmWithRoles('realm2', ['anonymous'])],
    transports: [
      { type: 'rawsocket', endpoint: { type: 'unix', path: 'router.sock' }, serializers: ['cbor'], auth },
      { type: 'rawsocket', endpoint: { type: 'tcp', port: 8442, interface: '127.0.0.1' }, auth: { 'cryptosign-proxy': { type: 'static', principals: {} } } },
    ],
  };
}

const unixConnection = { transport: { type: 'rawsocket', endpoint: { type: 'unix', path: 'router.sock' }, url: 'ws://localhost', serializer: 'cbor' } };
const tcpConnection = {
  transport: { type: 'rawsocket', endpoint: { type: 'tcp', host: 'localhost', port: 8442 }, url: 'rs://localhost:8442', serializer: 'cbor' },
  auth: { 'cryptosign-proxy': { type: 'static' } },
};

function proxyWorker(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'proxy',
    options: {},
    connections: { conn1: unixConnection },
    routes: { realm1: { anonymous: 'conn1', user: ['conn1'] } },
    transports: [{
      type: 'web',
      endpoint: { type: 'tcp', port: 8080, shared: true, backlog: 1024 },
      paths: { ws: { type: 'websocket', auth: { ticket: { type: 'static', principals: { joe: { ticket: 'secret', role: 'user' } } } } } },
    }],
    ...overrides,
  };
}

describe('proxy workers', () => {
  it("become the router's transports, each sign-in held to the worker's routes", () => {
    const config = loadDocument(configDocument(routerWithBackends(), [proxyWorker()]));
    assert.deepEqual(config.listeners.map((listener) => [listener.id, listener.kind, listener.endpoint.port]), [
      ['transport0', 'rawsocket', 0], ['transport1', 'rawsocket', 8442], ['transport2', 'web', 8080],
    ]);
    assert.deepEqual(plain(websocketAt(config.listeners[2], '/ws').auth), {
      ticket: { type: 'static', principals: { joe: { ticket: 'secret', role: 'user' } } },
      routes: { realm1: ['anonymous', 'user'] },
    });
    assert.equal(config.listeners[0]!.rawsocket!.auth.routes, undefined, "the router's own transports have no routes");
    assert.ok(config.notices.some((line) => line.startsWith('workers[1]: a proxy worker: Junction serves its transports from the router itself')));
  });

  it('hold every door of a universal transport to the routes: its RawSocket and its WebSocket paths', () => {
    const universal = { type: 'universal', endpoint: { type: 'tcp', port: 8080 }, rawsocket: {}, websocket: { ws: { type: 'websocket' } } };
    const config = loadDocument(configDocument(routerWithBackends(), [proxyWorker({ transports: [universal] })]));
    const listener = config.listeners[2]!;
    assert.deepEqual(plain(listener.rawsocket!.auth.routes), { realm1: ['anonymous', 'user'] });
    assert.deepEqual(plain(websocketAt(listener, '/ws').auth.routes), { realm1: ['anonymous', 'user'] });
  });

  it("offers Crossbar's proxy sign-ins to no client, with a notice for each", () => {
    const config = loadDocument(configDocument(routerWithBackends({ anonymous: { type: 'static' }, 'anonymous-proxy': { type: 'static' } }), [proxyWorker()]));
    assert.deepEqual(plain(config.listeners[0]!.rawsocket!.auth), { anonymous: { type: 'static', role: 'anonymous' } });
    assert.deepEqual(plain(config.listeners[1]!.rawsocket!.auth), {}, 'only proxy sign-ins: no method offered');
    assert.deepEqual(config.notices.filter((line) => line.includes('[config.notice.proxy_sign_in]')).map((line) => line.split(':')[0]), [
      'workers[0].transports[0].auth["anonymous-proxy"]', 'workers[0].transports[1].auth["cryptosign-proxy"]',
    ]);
  });

  it('checks a proxy sign-in entry as Crossbar does, and still wants some method', () => {
    assert.deepEqual(problemsOf(configDocument(routerWithBackends({ 'anonymous-proxy': { type: 'magic' } }))), [
      'workers[0].transports[0].auth["anonymous-proxy"].type: unknown anonymous-proxy authentication type "magic" (expected "static" or "dynamic" or "function")',
    ]);
    assert.match(problemsOf(configDocument(routerWithBackends({})))[0]!, /enables no authentication method/);
  });

  it('open a shared port once: two proxy workers with the same transport and routes are one listener, with a notice', () => {
    const config = loadDocument(configDocument(routerWithBackends(), [proxyWorker(), proxyWorker({ connections: { conn1: tcpConnection } })]));
    assert.deepEqual(config.listeners.map((listener) => listener.endpoint.port), [0, 8442, 8080]);
    assert.ok(config.notices.some((line) =>
      line.startsWith('workers[2].transports[0]: the same transport as workers[1].transports[0], of another proxy worker: Junction opens it once') && line.includes('--workers')));
  });

  it('open a shared port once whatever the transports\' ids (each names a transport within its worker only) and key order', () => {
    const withId = (id: string) => {
      const [transport] = proxyWorker().transports as Record<string, unknown>[];
      const { paths, ...rest } = transport!;
      return proxyWorker({ transports: [{ id, paths, ...rest }] });
    };
    const config = loadDocument(configDocument(routerWithBackends(), [withId('proxy_a'), withId('proxy_b')]));
    assert.deepEqual(config.listeners.map((listener) => listener.id), ['transport0', 'transport1', 'proxy_a']);
  });

  it('refuse one port opened with different transports or routes (Crossbar would pick either at random)', () => {
    const otherPaths = { paths: { ws: { type: 'websocket' } } };
    const differentTransport = proxyWorker({ transports: [{ ...(proxyWorker().transports as object[])[0], ...otherPaths }] });
    const differentRoutes = proxyWorker({ routes: { realm1: { anonymous: 'conn1' } } });
    for (const second of [differentTransport, differentRoutes]) {
      assert.deepEqual(problemsOf(configDocument(routerWithBackends(), [proxyWorker(), second])), [
        'workers[2].transports[0].endpoint: also opened by workers[1].transports[0] of another proxy worker, with a different transport or different routes: ' +
          'Crossbar hands each connection to either one; Junction opens one listener per port: make the two the same, or give each its own port',
      ]);
    }
  });

  it('refuse a connection that leaves this node, naming it', () => {
    const remote = { transport: { type: 'rawsocket', endpoint: { type: 'tcp', host: 'core1', port: 8442 } } };
    const otherSocket = { transport: { type: 'rawsocket', endpoint: { type: 'unix', path: 'elsewhere.sock' } } };
    const otherPort = { transport: { type: 'websocket', endpoint: { type: 'tcp', host: '127.0.0.1', port: 9999 } } };
    const problems = problemsOf(configDocument(routerWithBackends(), [proxyWorker({ connections: { conn1: unixConnection, remote, otherSocket, otherPort } })]));
    assert.deepEqual(problems, [
      'workers[1].connections.remote.transport.endpoint: not supported by Junction: proxy connection "remote" to core1 port 8442, which is not a transport of this node\'s router workers ' +
        "(Junction serves proxy workers inside its router, so a connection must name one of the router workers' transports: its Unix socket path, or its port on localhost)",
      'workers[1].connections.otherSocket.transport.endpoint: not supported by Junction: proxy connection "otherSocket" to the Unix socket elsewhere.sock, which is not a transport of this node\'s router workers ' +
        "(Junction serves proxy workers inside its router, so a connection must name one of the router workers' transports: its Unix socket path, or its port on localhost)",
      'workers[1].connections.otherPort.transport.endpoint: not supported by Junction: proxy connection "otherPort" to 127.0.0.1 port 9999, which is not a transport of this node\'s router workers ' +
        "(Junction serves proxy workers inside its router, so a connection must name one of the router workers' transports: its Unix socket path, or its port on localhost)",
    ]);
    // The router transport's own address and loopback names reach it.
    for (const host of ['127.0.0.1', 'localhost', '127.0.0.2']) {
      const local = { transport: { type: 'rawsocket', endpoint: { type: 'tcp', host, port: 8442 } } };
      assert.doesNotThrow(() => loadDocument(configDocument(routerWithBackends(), [proxyWorker({ connections: { conn1: local } })])));
    }
  });

  it('refuse routes to connections, realms or roles that do not exist', () => {
    const problems = problemsOf(configDocument(routerWithBackends(), [proxyWorker({
      routes: { realm1: { user: 'conn2', adminn: 'conn1' }, realm9: { anonymous: 'conn1' } },
    })]));
    assert.deepEqual(problems, [
      'workers[1].routes.realm1.user: no connection "conn2" found for realm "realm1" and role "user" in proxy route config: add it to this proxy worker\'s "connections"',
      'workers[1].routes.realm1.adminn: role "adminn" is not defined in realm "realm1" (did you mean "admin"?)',
      'workers[1].routes.realm9: realm "realm9" is not defined in this configuration',
    ]);
  });

  it('refuse an HTTP bridge service or Pusher app whose realm and role have no route', () => {
    const caller = { type: 'caller', realm: 'realm1', role: 'admin' };
    const withCaller = proxyWorker({ transports: [{ type: 'web', endpoint: { type: 'tcp', port: 8080 }, paths: { call: caller } }] });
    assert.deepEqual(problemsOf(configDocument(routerWithBackends(), [withCaller])), [
      'workers[1].transports[0].paths.call: this proxy worker has no route for realm "realm1" and role "admin", so this service or app could not join: add the route, or move it to a router worker\'s transports',
    ]);
    const routed = proxyWorker({ ...withCaller, routes: { realm1: { admin: 'conn1' } } });
    assert.doesNotThrow(() => loadDocument(configDocument(routerWithBackends(), [routed])));
  });

  it("give each route the dynamic cryptosign-proxy authenticator its connection reaches, as Crossbar's backend calls it", () => {
    const router = routerWithBackends();
    const dynamic = { type: 'dynamic', authenticator: 'auth.backend', 'authenticator-realm': 'realm2' };
    (router.transports as Record<string, unknown>[])[1]!.auth = { 'cryptosign-proxy': dynamic };
    // conn2 signs in with anonymous-proxy (no auth: Crossbar's default), which Crossbar's backend accepts without asking.
    const routes = { realm1: { user: ['conn1', 'conn2'], anonymous: 'conn2' } };
    const config = loadDocument(configDocument(router, [proxyWorker({ connections: { conn1: tcpConnection, conn2: unixConnection }, routes })]));
    assert.deepEqual(plain(websocketAt(config.listeners[2], '/ws').auth.proxyAuthenticators), {
      realm1: { user: [{ type: 'dynamic', authenticator: 'auth.backend', authenticatorRealm: 'realm2' }, null] },
    });
    assert.ok(config.notices.some((line) => line.startsWith('workers[0].transports[1].auth["cryptosign-proxy"]')), 'still offered to no client');
    // A WebSocket connection meets the auth of the web transport's path its URL names; a function authenticator runs in its host.
    const web = { type: 'web', endpoint: { type: 'tcp', port: 8443, interface: '127.0.0.1' }, paths: { ws: { type: 'websocket', auth: { 'cryptosign-proxy': { type: 'function', create: 'dynauth.check' } } } } };
    (router.transports as object[]).push(web);
    const conn3 = { transport: { type: 'websocket', endpoint: { type: 'tcp', host: '127.0.0.1', port: 8443 }, url: 'ws://127.0.0.1:8443/ws' }, auth: tcpConnection.auth };
    const viaWeb = loadDocument(configDocument(router, [proxyWorker({ connections: { conn1: tcpConnection, conn3 }, routes: { realm1: { admin: 'conn3' } } })]));
    const [fromFunction] = websocketAt(viaWeb.listeners[3], '/ws').auth.proxyAuthenticators!.realm1!.admin!;
    assert.equal(fromFunction?.type, 'dynamic');
    assert.equal(fromFunction.function, 'dynauth.check');
    assert.ok(viaWeb.components.some((component) => component.kind === 'stdio' && component.authenticatorFunction === 'dynauth.check'), 'its host runs');
    const staticBackend = loadDocument(configDocument(routerWithBackends(), [proxyWorker({ connections: { conn1: tcpConnection } })]));
    assert.equal(websocketAt(staticBackend.listeners[2], '/ws').auth.proxyAuthenticators, undefined);
  });

  it("refuse every session of a route whose connection the backend would refuse, as Crossbar's router does, with a notice naming the route, connection and method", () => {
    const router = routerWithBackends({ anonymous: { type: 'static', role: 'anonymous' } });
    const connections = {
      // cryptosign-proxy, to a transport that offers only cryptosign-proxy: admitted.
      good: tcpConnection,
      // anonymous-proxy (no auth), to the Unix socket transport that offers only anonymous.
      noAnonymousProxy: unixConnection,
      // cryptosign-proxy to it.
      noCryptosignProxy: { ...unixConnection, auth: { 'cryptosign-proxy': {} } },
      // anonymous-proxy over TCP, which Crossbar's proxy refuses to do.
      anonymousOverTcp: { transport: tcpConnection.transport },
      // an auth with neither method: Crossbar's proxy cannot sign in.
      noMethod: { transport: tcpConnection.transport, auth: {} },
    };
    const routes = { realm1: { admin: ['good', 'noAnonymousProxy'], user: 'noCryptosignProxy' }, realm2: { anonymous: ['anonymousOverTcp', 'noMethod'] } };
    const config = loadDocument(configDocument(router, [proxyWorker({ connections, routes })]));
    const refused = (why: string) => ({ type: 'refused', why });
    assert.deepEqual(plain(websocketAt(config.listeners[2], '/ws').auth.proxyAuthenticators), {
      realm1: {
        admin: [null, refused('connection "noAnonymousProxy" signs in to workers[0].transports[0] with anonymous-proxy, which its "auth" does not list (it lists anonymous)')],
        user: [refused('connection "noCryptosignProxy" signs in to workers[0].transports[0] with cryptosign-proxy, which its "auth" does not list (it lists anonymous)')],
      },
      realm2: {
        anonymous: [
          refused('connection "anonymousOverTcp" signs in with anonymous-proxy (its "auth" lists no cryptosign-proxy), which Crossbar\'s proxy does over a Unix socket only'),
          refused('connection "noMethod" has an "auth" with neither cryptosign-proxy nor anonymous-proxy, so Crossbar\'s proxy has no way to sign in'),
        ],
      },
    });
    assert.deepEqual(config.notices.filter((line) => line.endsWith('[config.notice.proxy_backend_refuses]')).map((line) => line.split(': Crossbar')[0]), [
      'workers[1].routes.realm1.admin: connection "noAnonymousProxy" signs in to workers[0].transports[0] with anonymous-proxy, which its "auth" does not list (it lists anonymous)',
      'workers[1].routes.realm1.user: connection "noCryptosignProxy" signs in to workers[0].transports[0] with cryptosign-proxy, which its "auth" does not list (it lists anonymous)',
      'workers[1].routes.realm2.anonymous: connection "anonymousOverTcp" signs in with anonymous-proxy (its "auth" lists no cryptosign-proxy), which Crossbar\'s proxy does over a Unix socket only',
      'workers[1].routes.realm2.anonymous: connection "noMethod" has an "auth" with neither cryptosign-proxy nor anonymous-proxy, so Crossbar\'s proxy has no way to sign in',
    ]);
    // A WebSocket path with no auth (anonymous only, in Crossbar) refuses the proxy too.
    const web = { type: 'web', endpoint: { type: 'tcp', port: 8443, interface: '127.0.0.1' }, paths: { ws: { type: 'websocket' } } };
    (router.transports as object[]).push(web);
    const toWeb = { transport: { type: 'websocket', endpoint: { type: 'tcp', host: '127.0.0.1', port: 8443 }, url: 'ws://127.0.0.1:8443/ws' }, auth: tcpConnection.auth };
    const viaWeb = loadDocument(configDocument(router, [proxyWorker({ connections: { toWeb }, routes: { realm1: { admin: 'toWeb' } } })]));
    assert.deepEqual(plain(websocketAt(viaWeb.listeners[3], '/ws').auth.proxyAuthenticators), {
      realm1: { admin: [refused('connection "toWeb" signs in to workers[0].transports[2].paths.ws with cryptosign-proxy, which it has no "auth" for (anonymous only)')] },
    });
  });

  it("clash with the router's own transports like any other transport", () => {
    const onRouterPort = proxyWorker({ transports: [{ type: 'websocket', endpoint: { type: 'tcp', port: 8442 } }] });
    assert.deepEqual(problemsOf(configDocument(routerWithBackends(), [onRouterPort])), [
      'workers[1].transports[0].endpoint.port: port 8442 on 0.0.0.0 is already used by workers[0].transports[1] (127.0.0.1)',
    ]);
  });
});
