import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RouterPythonConfig } from './model.js';
import { guestOutputDefaults } from './schema-guest.js';
import { configDocument, loadDocument, plain, problemsOf, testBaseDir } from './test-support.js';

/** A router worker's Python components as the node is told to run them (the launch description). */
function routerPythonOf(router: Record<string, unknown>, extraWorkers: unknown[] = []): { routerPython: RouterPythonConfig[]; notices: string[] } {
  const config = loadDocument(configDocument(router, extraWorkers));
  return { routerPython: plain(config.routerPython), notices: config.notices };
}

const routerGuest = {
  id: 'worker001', at: 'workers[0]', executable: '/usr/bin/python3', arguments: [], workdir: testBaseDir, env: { inherit: true, vars: {} },
  stdin: { kind: 'open' }, stdout: 'log', stderr: 'log', maxLineBytes: guestOutputDefaults.maxLineBytes, linesPerSecond: guestOutputDefaults.linesPerSecond,
};

describe("a router worker's Python components: the launch description", () => {
  it('a class joins its realm with its role, Crossbar\'s "anonymous" when none is given, and gets extra.cbdir; no notice', () => {
    const { routerPython, notices } = routerPythonOf({
      options: { pythonpath: ['..'], python: 'venv/bin/python' },
      components: [
        { type: 'class', classname: 'authenticator.AuthenticatorSession', realm: 'realm1', role: 'backend', extra: { key: 'value' } },
        { type: 'class', id: 'plain_one', classname: 'app.Plain', realm: 'realm1' },
      ],
    });
    assert.deepEqual(routerPython, [{
      guest: { ...routerGuest, executable: 'venv/bin/python' },
      interpreterGiven: true,
      pythonpath: ['/srv'],
      components: [
        { id: 'component0', realm: 'realm1', role: 'backend', type: 'class', classname: 'authenticator.AuthenticatorSession', extra: { key: 'value', cbdir: testBaseDir } },
        { id: 'plain_one', realm: 'realm1', role: 'anonymous', type: 'class', classname: 'app.Plain', extra: { cbdir: testBaseDir } },
      ],
    }]);
    assert.deepEqual(notices.filter((line) => /python|not run/i.test(line)), []);
  });

  it("a function component runs Crossbar's callbacks on its session's events", () => {
    const { routerPython, notices } = routerPythonOf({
      components: [{ type: 'function', realm: 'realm1', callbacks: { join: 'hooks.on_join', leave: 'hooks.on_leave' } }],
    });
    assert.deepEqual(routerPython[0]?.components, [
      { id: 'component0', realm: 'realm1', role: 'anonymous', type: 'function', callbacks: { join: 'hooks.on_join', leave: 'hooks.on_leave' }, extra: { cbdir: testBaseDir } },
    ]);
    assert.deepEqual(notices, []);
  });

  it('bridge classes run inside the router: a router with only those starts no Python, and its Python settings are noticed as unused', () => {
    const { routerPython, notices } = routerPythonOf({
      options: { pythonpath: ['..'] },
      components: [{ type: 'class', classname: 'RESTCallee', realm: 'realm1', extra: { procedure: 'com.example.rest', baseurl: 'http://127.0.0.1:1/' } }],
    });
    assert.deepEqual(routerPython, []);
    assert.equal(notices.filter((line) => line.includes('options.pythonpath')).length, 1);
  });

  it('is named by the router worker\'s id, or worker<NNN> counted in file order with the other workers', () => {
    const { routerPython } = routerPythonOf({ components: [{ type: 'class', classname: 'app.A', realm: 'realm1' }] }, [
      { type: 'guest', executable: 'true' },
      { type: 'router', id: 'second_router', realms: [], transports: [], components: [{ type: 'class', classname: 'app.B', realm: 'realm1' }] },
    ]);
    assert.deepEqual(routerPython.map((worker) => [worker.guest.id, worker.guest.at, worker.components.map((component) => component.type === 'class' && component.classname)]),
      [['worker001', 'workers[0]', ['app.A']], ['second_router', 'workers[2]', ['app.B']]]);
  });

  it("a container's function component is still not run: its notice stays", () => {
    const { notices } = routerPythonOf({}, [{
      type: 'container',
      components: [{ type: 'function', realm: 'realm1', transport: { type: 'websocket', url: 'ws://127.0.0.1:8080/ws' }, callbacks: { join: 'hooks.on_join' } }],
    }]);
    assert.deepEqual(notices.filter((line) => line.includes('not run by Junction')).length, 1);
  });

  it("refuses callbacks Crossbar refuses: an event it does not know, a reference that is not module.function", () => {
    assert.deepEqual(problemsOf(configDocument({ components: [{ type: 'function', realm: 'realm1', callbacks: { joined: 'hooks.joined' } }] })), [
      'workers[0].components[0].callbacks.joined: unknown key "joined"',
    ]);
    assert.deepEqual(problemsOf(configDocument({ components: [{ type: 'function', realm: 'realm1', callbacks: { join: 'on_join' } }] })), [
      'workers[0].components[0].callbacks.join: expected "module.function"',
    ]);
  });

  it('a router with Python components needs no transport: they are its clients', () => {
    const config = loadDocument(configDocument({ transports: [], components: [{ type: 'class', classname: 'callee.MyCallee', realm: 'realm1' }] }));
    assert.deepEqual([config.listeners.length, config.routerPython.length], [0, 1]);
    assert.deepEqual(problemsOf(configDocument({ transports: [], components: [{ type: 'class', classname: 'RESTCallee', realm: 'realm1', extra: { procedure: 'a.b', baseurl: 'http://127.0.0.1:1/' } }] })), [
      'workers[0].transports: no transports defined, so no client could connect: add a "websocket" or "web" transport',
    ]);
  });

  it('the role a component joins with must be defined in its realm ("anonymous" is always accepted)', () => {
    assert.deepEqual(problemsOf(configDocument({ components: [{ type: 'class', classname: 'app.A', realm: 'realm1', role: 'backendd' }] })), [
      'workers[0].components[0].role: role "backendd" is not defined in realm "realm1" (did you mean "backend"?)',
    ]);
    const realms = [{ name: 'realm1', roles: [{ name: 'backend', permissions: [] }] }];
    assert.equal(loadDocument(configDocument({ realms, components: [{ type: 'function', realm: 'realm1', role: 'anonymous' }] })).routerPython.length, 1);
  });
});
