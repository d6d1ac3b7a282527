import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../../config/load.js';
import type { JunctionConfig } from '../../config/model.js';
import { diffConfig } from './config-diff.js';

/** A router worker's file: realms, transports and components as given (Crossbar format), and the node controller's block. */
function config(router: { realms?: unknown[]; transports?: unknown[]; components?: unknown[]; sign_in?: unknown; controller?: unknown }): JunctionConfig {
  const document = {
    version: 2,
    ...(router.controller ? { controller: router.controller } : {}),
    workers: [{
      type: 'router',
      realms: router.realms ?? [realm('realm1', ['anonymous'])],
      transports: router.transports ?? [webTransport('web', 8080, { '/ws': websocket({ anonymous: { type: 'static', role: 'anonymous' } }) })],
      ...(router.components ? { components: router.components } : {}),
      ...(router.sign_in ? { sign_in: router.sign_in } : {}),
    }],
  };
  return parseConfig(document, { source: 'test', env: {} });
}

function realm(name: string, roles: string[], options?: Record<string, unknown>, uri = '*'): Record<string, unknown> {
  return {
    name,
    ...(options ? { options } : {}),
    roles: roles.map((role) => ({ name: role, permissions: [{ uri, allow: { call: true, register: true, publish: true, subscribe: true } }] })),
  };
}

function websocket(auth: Record<string, unknown>): Record<string, unknown> {
  return { type: 'websocket', auth };
}

function webTransport(id: string, port: number, paths: Record<string, unknown>, options?: Record<string, unknown>): Record<string, unknown> {
  return { id, type: 'web', endpoint: { type: 'tcp', port, interface: '127.0.0.1' }, paths, ...(options ? { options } : {}) };
}

const anonymous = { anonymous: { type: 'static', role: 'anonymous' } };
function ticket(secret: string): Record<string, unknown> {
  return { ticket: { type: 'static', principals: { alice: { ticket: secret, role: 'user' } } } };
}

function restCallee(id: string, procedure: string, url = 'http://127.0.0.1:9/'): Record<string, unknown> {
  return { type: 'class', classname: 'crossbar.bridge.rest.RESTCallee', id, realm: 'realm1', role: 'anonymous', extra: { procedure, baseurl: url } };
}

describe('diffConfig', () => {
  it('finds nothing between a configuration and itself', () => {
    const before = config({});
    assert.deepEqual(diffConfig(before, config({})), {
      realms: { added: [], removed: [], changed: [] },
      listeners: { added: [], removed: [], changed: [] },
      components: { added: [], removed: [], changed: [] },
      fixed: [],
    });
  });

  it('lists realms added and removed by name', () => {
    const before = config({ realms: [realm('realm1', ['anonymous']), realm('old', ['anonymous'])] });
    const after = config({ realms: [realm('realm1', ['anonymous']), realm('fresh', ['anonymous'])] });
    const diff = diffConfig(before, after);
    assert.deepEqual(diff.realms.added.map((r) => r.name), ['fresh']);
    assert.deepEqual(diff.realms.removed.map((r) => r.name), ['old']);
    assert.deepEqual(diff.realms.changed, []);
  });

  it('tells roles added, removed and changed, and limits and URI rule changed, apart', () => {
    const before = config({ realms: [realm('realm1', ['anonymous', 'gone', 'edited'], { uri_check: 'strict' })] });
    const after = config({
      realms: [{
        ...realm('realm1', ['anonymous', 'added'], { uri_check: 'loose', limits: { max_subscriptions_per_session: 5 } }),
        roles: [
          { name: 'anonymous', permissions: [{ uri: '*', allow: { call: true, register: true, publish: true, subscribe: true } }] },
          { name: 'added', permissions: [{ uri: '*', allow: { call: true, register: true, publish: true, subscribe: true } }] },
          { name: 'edited', permissions: [{ uri: 'app.*', allow: { call: true, register: false, publish: false, subscribe: true } }] },
        ],
      }],
    });
    const [change, ...others] = diffConfig(before, after).realms.changed;
    assert.equal(others.length, 0);
    assert.deepEqual(change!.rolesAdded, ['added']);
    assert.deepEqual(change!.rolesRemoved, ['gone']);
    assert.deepEqual(change!.rolesChanged, ['edited']);
    assert.equal(change!.limitsChanged, true);
    assert.equal(change!.uriCheckChanged, true);
  });

  it('does not call a realm changed when only its roles are listed in another order', () => {
    const before = config({ realms: [realm('realm1', ['anonymous', 'user'])] });
    const after = config({ realms: [realm('realm1', ['user', 'anonymous'])] });
    assert.deepEqual(diffConfig(before, after).realms.changed, []);
  });

  it('rebuilds a path whose auth changed (a new ticket) and leaves the others', () => {
    const paths = (secret: string): Record<string, unknown> => ({
      '/ws': websocket(anonymous),
      '/auth': websocket(ticket(secret)),
      '/info': { type: 'nodeinfo' },
    });
    const before = config({ realms: [realm('realm1', ['anonymous', 'user'])], transports: [webTransport('web', 8080, paths('old'))] });
    const after = config({ realms: [realm('realm1', ['anonymous', 'user'])], transports: [webTransport('web', 8080, paths('new'))] });
    const diff = diffConfig(before, after);
    assert.equal(diff.listeners.changed.length, 1);
    const change = diff.listeners.changed[0]!;
    assert.deepEqual(change.pathsChanged, ['/auth']);
    assert.deepEqual(change.pathsAdded, []);
    assert.deepEqual(change.pathsRemoved, []);
    assert.deepEqual(diff.fixed, []);
  });

  it('lists paths added and removed, and rebuilds every path when the trusted proxies change', () => {
    const before = config({ transports: [webTransport('web', 8080, { '/ws': websocket(anonymous), '/old': { type: 'nodeinfo' } })] });
    const after = config({ transports: [webTransport('web', 8080, { '/ws': websocket(anonymous), '/new': { type: 'health' } })] });
    const change = diffConfig(before, after).listeners.changed[0]!;
    assert.deepEqual(change.pathsAdded, ['/new']);
    assert.deepEqual(change.pathsRemoved, ['/old']);
    assert.deepEqual(change.pathsChanged, []);

    const proxied = config({ transports: [webTransport('web', 8080, { '/ws': websocket(anonymous), '/old': { type: 'nodeinfo' } }, { trusted_proxies: ['10.0.0.1'] })] });
    assert.deepEqual(diffConfig(before, proxied).listeners.changed[0]!.pathsChanged, ['/ws', '/old']);
  });

  it('lists transports added and removed by id', () => {
    const before = config({ transports: [webTransport('web', 8080, { '/ws': websocket(anonymous) }), webTransport('old', 8081, { '/ws': websocket(anonymous) })] });
    const after = config({ transports: [webTransport('web', 8080, { '/ws': websocket(anonymous) }), webTransport('fresh', 8082, { '/ws': websocket(anonymous) })] });
    const diff = diffConfig(before, after);
    assert.deepEqual(diff.listeners.added.map((l) => l.id), ['fresh']);
    assert.deepEqual(diff.listeners.removed.map((l) => l.id), ['old']);
  });

  it('tells an mqtt transport whose settings changed (its auth included) apart from one that did not', () => {
    const mqtt = (options: Record<string, unknown>) => ({ id: 'devices', type: 'mqtt', endpoint: { type: 'tcp', port: 1883, interface: '127.0.0.1' }, options: { realm: 'realm1', ...options } });
    const web = webTransport('web', 8080, { '/ws': websocket(anonymous) });
    const before = config({ transports: [web, mqtt({})] });
    assert.deepEqual(diffConfig(before, config({ transports: [web, mqtt({})] })).listeners.changed, []);
    const changed = diffConfig(before, config({ transports: [web, mqtt({ max_queued_messages: 10 })] })).listeners.changed;
    assert.deepEqual(changed.map((change) => [change.after.id, change.mqttChanged, change.rawsocketChanged]), [['devices', true, false]]);
  });

  it('rebuilds an echo server whose options changed, and reports a changed Flash policy as needing a restart', () => {
    const echo = (options: Record<string, unknown>) => ({ id: 'echo', type: 'websocket.testee', endpoint: { type: 'tcp', port: 9001, interface: '127.0.0.1' }, options });
    const flash = (ports: number[]) => ({ id: 'flash', type: 'flashpolicy', allowed_ports: ports, endpoint: { type: 'tcp', port: 843, interface: '127.0.0.1' } });
    const before = config({ transports: [echo({}), flash([8080])] });
    assert.deepEqual(diffConfig(before, config({ transports: [echo({}), flash([8080])] })), diffConfig(before, before));
    const diff = diffConfig(before, config({ transports: [echo({ max_message_size: 100 }), flash([8080, 8443])] }));
    assert.deepEqual(diff.listeners.changed.map((change) => [change.after.id, change.pathsChanged]), [['echo', ['/']]]);
    assert.deepEqual(diff.fixed, ['transport "flash": its Flash policy (allowed_domain, allowed_ports) changed: restart to apply']);
  });

  it('reports a moved endpoint as needing a restart, and still applies the transport\'s path changes', () => {
    const before = config({ transports: [webTransport('web', 8080, { '/ws': websocket(anonymous) })] });
    const after = config({ transports: [webTransport('web', 9090, { '/ws': websocket(anonymous), '/health': { type: 'health' } })] });
    const diff = diffConfig(before, after);
    assert.equal(diff.fixed.length, 1);
    assert.match(diff.fixed[0]!, /transport "web": its endpoint changed \(port 8080 on 127\.0\.0\.1 to port 9090 on 127\.0\.0\.1\).*restart/);
    assert.deepEqual(diff.listeners.changed[0]!.pathsAdded, ['/health']);
  });

  it('reports a transport whose type changed as needing a restart, and changes nothing of it', () => {
    const before = config({ transports: [{ id: 'web', type: 'websocket', endpoint: { type: 'tcp', port: 8080, interface: '127.0.0.1' } }] });
    const after = config({ transports: [webTransport('web', 8080, { '/ws': websocket(anonymous), '/health': { type: 'health' } })] });
    const diff = diffConfig(before, after);
    assert.equal(diff.listeners.changed.length, 0);
    assert.match(diff.fixed.join('\n'), /transport "web": its type changed \(websocket to web\)/);
  });

  it('reports meta API, event history and sign-in limit changes as needing a restart', () => {
    const before = config({});
    const after = config({
      realms: [{ ...realm('realm1', ['anonymous'], { enable_meta_api: false }), store: { type: 'memory', 'event-history': [{ uri: 'news', limit: 5 }] } }],
      sign_in: { failure_budget: 9 },
    });
    const fixed = diffConfig(before, after).fixed.join('\n');
    assert.match(fixed, /realm "realm1": "enable_meta_api" changed/);
    assert.match(fixed, /realm "realm1": its event history or call queues \("store"\) changed/);
    assert.match(fixed, /"sign_in" limits changed/);
  });

  it("reports changed shutdown triggers (controller.options.shutdown) as needing a restart", () => {
    const before = config({});
    const after = config({ controller: { options: { shutdown: [] } } });
    assert.deepEqual(diffConfig(before, after).fixed, ['the node\'s shutdown triggers ("controller.options.shutdown") changed: they apply from the next restart']);
  });

  it('reports changed session statistics as needing a restart', () => {
    const before = config({});
    const after = config({ realms: [{ ...realm('realm1', ['anonymous']), stats: { trigger_after_duration: 60 } }] });
    assert.deepEqual(diffConfig(before, after).fixed, ['realm "realm1": its session statistics ("stats") changed: they apply from the next restart']);
    assert.deepEqual(diffConfig(after, after).fixed, []);
  });

  it('lists components added, removed and changed by id', () => {
    const before = config({ components: [restCallee('keep', 'app.keep'), restCallee('edit', 'app.edit'), restCallee('drop', 'app.drop')] });
    const after = config({ components: [restCallee('keep', 'app.keep'), restCallee('edit', 'app.edit', 'http://127.0.0.1:10/'), restCallee('new', 'app.new')] });
    const diff = diffConfig(before, after).components;
    assert.deepEqual(diff.added.map((c) => c.id), ['new']);
    assert.deepEqual(diff.removed.map((c) => c.id), ['drop']);
    assert.deepEqual(diff.changed.map((c) => c.after.id), ['edit']);
  });

  it('leaves Python components out: they are recorded, never run', () => {
    const python = (classname: string): Record<string, unknown> => ({ type: 'class', classname, realm: 'realm1', role: 'anonymous' });
    const diff = diffConfig(config({ components: [python('app.One')] }), config({ components: [python('app.Two'), python('app.Three')] }));
    assert.deepEqual(diff.components, { added: [], removed: [], changed: [] });
  });

  it('rebuilds the bridge paths and components of a realm whose URI rule changed', () => {
    const paths = { '/ws': websocket(anonymous), '/publish': { type: 'publisher', realm: 'realm1', role: 'anonymous' } };
    const before = config({
      realms: [realm('realm1', ['anonymous'], { uri_check: 'strict' })],
      transports: [webTransport('web', 8080, paths)],
      components: [restCallee('callee', 'app.call')],
    });
    const after = config({
      realms: [realm('realm1', ['anonymous'], { uri_check: 'loose' })],
      transports: [webTransport('web', 8080, paths)],
      components: [restCallee('callee', 'app.call')],
    });
    const diff = diffConfig(before, after);
    assert.deepEqual(diff.listeners.changed[0]!.pathsChanged, ['/publish']);
    assert.deepEqual(diff.components.changed.map((c) => c.after.id), ['callee']);
  });
});
