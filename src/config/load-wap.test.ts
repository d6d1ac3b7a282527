import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { wapDefaults } from './schema-wap.js';
import { configDocument, loadDocument, pathServiceModel, problemsOf, serviceAt, webDocument } from './test-support.js';

const python = { at: 'workers[0]', executable: '/usr/bin/python3', interpreterGiven: false, pythonpath: [], env: { inherit: true, vars: {} }, workdir: '/srv/junction' };
const route = { path: '/greeting/<name>', method: 'GET', call: 'com.example.greeting', render: 'greeting.html' };
const wamp = { realm: 'realm1', authrole: 'backend' };

describe('wap path: Crossbar\'s keys and their model', () => {
  it('templates against the config folder; sandbox on, method GET and Junction\'s bounds by default; call null: none', () => {
    assert.deepEqual(pathServiceModel({ type: 'wap', templates: '../templates', wamp, routes: [{ path: '/', call: null, render: 'home.html' }, route] }), {
      type: 'wap', templates: '/srv/templates', sandbox: true,
      routes: [{ path: '/', method: 'GET', render: 'home.html' }, route],
      realm: 'realm1', role: 'backend', python,
      options: { ...wapDefaults },
    });
  });

  it('templates from a package; sandbox off; Crossbar\'s path key noticed and ignored; Junction\'s options', () => {
    const config = loadDocument(webDocument({
      w: { type: 'wap', path: '/w', templates: { package: 'mysite', resource: 'templates' }, sandbox: false, wamp, routes: [{ ...route, method: 'POST' }],
        options: { call_timeout: 500, max_output_bytes: 1000, max_requests_in_flight: 3, post_body_limit: 10 } },
    }));
    const service = serviceAt(config.listeners[0], '/w', 'wap');
    assert.deepEqual([service.templates, service.sandbox, service.routes[0]!.method, service.options], [
      { package: 'mysite', resource: 'templates', python }, false, 'POST', { callTimeoutMs: 500, maxOutputBytes: 1000, maxRequestsInFlight: 3, postBodyLimit: 10 },
    ]);
    assert.deepEqual(config.notices, ['workers[0].transports[0].paths.w.path: a wap service\'s path (path) is not needed by Junction and was ignored [config.notice.ignored]']);
  });

  it('refuses what Crossbar\'s check refuses, and rules, templates and bounds Junction cannot use', () => {
    assert.deepEqual(problemsOf(webDocument({
      a: { type: 'wap' },
      b: { type: 'wap', templates: 't', wamp: { realm: 'realm1' }, routes: [] },
      c: { type: 'wap', templates: { package: 'my-site' }, wamp, routes: [{ path: 'x/<date:d>', method: 'PUT', render: '../secret.html' }] },
      d: { type: 'wap', templates: 't', wamp, routes: [route], options: { call_timeout: 0 } },
    })), [
      'workers[0].transports[0].paths.a.templates: missing: "templates", the folder of the Jinja2 templates (or {"package", "resource"})',
      'workers[0].transports[0].paths.a.routes: missing: "routes", the list of {path, method, call, render}',
      'workers[0].transports[0].paths.a.wamp: missing: "wamp", the {realm, authrole} the calls are made in and as',
      'workers[0].transports[0].paths.b.routes: expected at least one route',
      'workers[0].transports[0].paths.b.wamp.authrole: missing (expected string)',
      'workers[0].transports[0].paths.c.templates: expected a folder (relative paths: from the config folder) or {"package": ..., "resource": ...}',
      'workers[0].transports[0].paths.c.routes[0].path: a route path starts with "/", like "/greeting/<name>"',
      'workers[0].transports[0].paths.c.routes[0].method: expected "GET" or "POST"',
      'workers[0].transports[0].paths.c.routes[0].render: a template file inside the folder (relative, without "..")',
      'workers[0].transports[0].paths.d.options.call_timeout: expected at least 1 ms',
    ]);
    assert.deepEqual(problemsOf(webDocument({
      d: { type: 'wap', templates: 't', wamp: { realm: 'nowhere', authrole: 'x' }, routes: [route] },
      e: { type: 'wap', templates: 't', wamp: { realm: 'realm1', authrole: 'nobody' }, routes: [route] },
    })), [
      'workers[0].transports[0].paths.d.wamp.realm: realm "nowhere" is not defined in this configuration',
      'workers[0].transports[0].paths.e.wamp.authrole: role "nobody" is not defined in realm "realm1"',
    ]);
  });

  it('its router\'s Python settings are used, so they get no notice', () => {
    const config = loadDocument(configDocument({
      options: { pythonpath: ['lib'] },
      transports: [{ type: 'web', endpoint: { type: 'tcp', port: 0 }, paths: { w: { type: 'wap', templates: 't', wamp, routes: [route] } } }],
    }));
    assert.deepEqual(config.notices, []);
  });
});
