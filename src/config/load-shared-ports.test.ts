import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configDocument, loadDocument, problemsOf, realmWithRoles } from './test-support.js';

/** Crossbar's multi-process recipe (crossbar-examples benchmark/web): router workers, each with this transport on port 8080. */
function sharedWeb(endpoint: Record<string, unknown> = {}, paths: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'web',
    endpoint: { type: 'tcp', port: 8080, shared: true, backlog: 2048, ...endpoint },
    paths: { '/': { type: 'static', directory: '..' }, ws: { type: 'websocket' }, json: { type: 'json', value: { param1: 'foobar' } }, ...paths },
  };
}

function routerWorker(transport: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'router', options: { cpu_affinity: [1] }, transports: [transport], ...extra };
}

const tls = { key: 'server.key', certificate: 'server.crt', dhparam: 'dhparam' };

describe('router workers sharing a port ("shared": true)', () => {
  it('open it once: one listener, with a notice pointing to --workers; the workers\' realms are one router\'s', () => {
    const document = configDocument({ options: { cpu_affinity: [0] }, transports: [sharedWeb()] }, [
      routerWorker(sharedWeb(), { realms: [realmWithRoles('realm2', ['anonymous'])] }),
      routerWorker(sharedWeb()),
    ]);
    const config = loadDocument(document);
    assert.deepEqual(config.listeners.map((listener) => [listener.kind, listener.endpoint.port, Object.keys(listener.paths).sort()]), [
      ['web', 8080, ['/', '/json', '/ws']],
    ]);
    assert.deepEqual(config.realms.map((realm) => realm.name), ['realm1', 'realm2']);
    const onFreshPorts = loadDocument(configDocument({ transports: [sharedWeb({ port: 0 })] }, [routerWorker(sharedWeb({ port: 0 }))]));
    assert.equal(onFreshPorts.listeners.length, 2, 'port 0 is a fresh port for each transport');
    for (const worker of [1, 2]) {
      assert.ok(
        config.notices.includes(
          `workers[${worker}].transports[0]: the same transport as workers[0].transports[0], of another router worker, both "shared": true: Junction opens the port once, ` +
            'for its one router (the realms of all its router workers); start with --workers N (or auto) to use several processes [config.notice.port_shared]',
        ),
        config.notices.join('\n'),
      );
    }
  });

  it('ignore key order and the transports\' ids, which name a transport within its worker only', () => {
    const { paths, endpoint, type } = sharedWeb() as { paths: unknown; endpoint: unknown; type: unknown };
    const config = loadDocument(configDocument({ transports: [{ ...sharedWeb(), id: 'web1' }] }, [routerWorker({ id: 'web2', paths, endpoint, type })]));
    assert.deepEqual(config.listeners.map((listener) => listener.id), ['web1']);
  });

  it('merge TLS transports that name the same files', () => {
    const config = loadDocument(configDocument({ transports: [sharedWeb({ tls })] }, [routerWorker(sharedWeb({ tls }))]));
    assert.equal(config.listeners.length, 1);
    assert.equal(config.listeners[0]!.endpoint.tls?.key, '/srv/junction/server.key');
  });

  it('refuse transports that differ, saying where, and one port opened without "shared": true on both, as before', () => {
    const unshared = { ...sharedWeb(), endpoint: { type: 'tcp', port: 8080 } };
    for (const first of [sharedWeb(), unshared]) {
      assert.deepEqual(problemsOf(configDocument({ transports: [first] }, [routerWorker(unshared)])), [
        'workers[1].transports[0].endpoint.port: port 8080 on 0.0.0.0 is already used by workers[0].transports[0] (0.0.0.0)',
      ]);
    }
    assert.deepEqual(problemsOf(configDocument({ transports: [sharedWeb({ tls })] }, [routerWorker(sharedWeb({ tls: { ...tls, key: 'other.key' } }))])), [
      'workers[1].transports[0].endpoint.port: port 8080 is also opened by workers[0].transports[0], both "shared": true (Crossbar\'s way to spread connections over several router processes), ' +
        'but they differ at workers[1].transports[0].endpoint.tls.key: Junction opens a shared port once, for its one router, so its transports must be the same (only their ids may differ): ' +
        'make them the same, or keep one; start with --workers N (or auto) for several processes',
    ]);
    assert.deepEqual(problemsOf(configDocument({ transports: [sharedWeb()] }, [routerWorker(sharedWeb({}, { ws: { type: 'websocket', serializers: ['json'] } }))])).map(differsAt), [
      'workers[1].transports[0].paths.ws.serializers',
    ]);
    assert.deepEqual(problemsOf(configDocument({ transports: [sharedWeb()] }, [routerWorker(sharedWeb({ tls }))])).map(differsAt), ['workers[1].transports[0].endpoint.tls']);
  });

  it('refuse a port shared by a router worker and a proxy worker', () => {
    const proxy = {
      type: 'proxy',
      connections: { router: { transport: { type: 'websocket', endpoint: { type: 'tcp', host: 'localhost', port: 8080 }, url: 'ws://localhost:8080/ws' } } },
      routes: { realm1: { anonymous: 'router' } },
      transports: [sharedWeb()],
    };
    assert.deepEqual(problemsOf(configDocument({ transports: [sharedWeb()] }, [proxy])), [
      'workers[1].transports[0].endpoint.port: port 8080 is also opened by workers[0].transports[0], both "shared": true (Crossbar\'s way to spread connections over several router processes), ' +
        'one by a router worker and one by a proxy worker: Junction opens a port once, for one kind of worker: give each its own port; start with --workers N (or auto) for several processes',
    ]);
  });

  it('refuse workers whose Python settings (for Python paths) differ', () => {
    const document = configDocument({ options: { pythonpath: ['..'] }, transports: [sharedWeb()] }, [routerWorker(sharedWeb(), { options: { pythonpath: ['lib'] } })]);
    assert.deepEqual(problemsOf(document).map(differsAt), ['workers[1].options.pythonpath[0]']);
  });

});

function differsAt(line: string): string | undefined {
  return /but they differ at (\S+):/.exec(line)?.[1];
}
