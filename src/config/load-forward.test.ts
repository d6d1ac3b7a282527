import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { forwardDefaults } from './schema-http-forward.js';
import { configDocument, loadDocument, pathServiceModel, plain, problemsOf, serviceAt, webDocument } from './test-support.js';

const limits = { timeoutMs: forwardDefaults.timeoutMs, maxRequestsInFlight: forwardDefaults.maxRequestsInFlight };

describe('reverseproxy path: Crossbar\'s keys and their model', () => {
  it('host alone: port 80 and no prefix, as in Crossbar', () => {
    assert.deepEqual(pathServiceModel({ type: 'reverseproxy', host: 'app.internal' }), { type: 'reverseproxy', host: 'app.internal', port: 80, path: '', options: limits });
  });

  it('port, path, an id, and Junction\'s options', () => {
    const service = { type: 'reverseproxy', id: 'app', host: '[::1]', port: '8081', path: '/base/v1', options: { timeout: 5000, max_requests_in_flight: 7 } } as const;
    assert.deepEqual(pathServiceModel(service), { type: 'reverseproxy', host: '[::1]', port: 8081, path: '/base/v1', options: { timeoutMs: 5000, maxRequestsInFlight: 7 } });
  });

  it('refuses what would not name one server and path, each with what was expected', () => {
    assert.deepEqual(problemsOf(webDocument({
      a: { type: 'reverseproxy' },
      b: { type: 'reverseproxy', host: 'http://app:8080', path: 'base' },
      c: { type: 'reverseproxy', host: 'app', port: 70000, path: '/a/../etc', forwarded_port: 443 },
      d: { type: 'reverseproxy', host: 'app', port: 0, options: { timeout: 0, max_requests_in_flight: 0 } },
    })), [
      'workers[0].transports[0].paths.a.host: missing: "host", the HTTP server to forward to (like "127.0.0.1")',
      'workers[0].transports[0].paths.b.host: expected a host name or address, like "app.internal", "127.0.0.1" or "[::1]" (no scheme, port or path)',
      'workers[0].transports[0].paths.b.path: expected "" or a path starting with "/", like "/app" (no query, no spaces)',
      'workers[0].transports[0].paths.c.port: expected a port number from 0 to 65535',
      'workers[0].transports[0].paths.c.path: a path segment must not be "." or ".."',
      'workers[0].transports[0].paths.c.forwarded_port: unknown key "forwarded_port"',
      'workers[0].transports[0].paths.d.port: expected the port the server listens on (1 to 65535)',
      'workers[0].transports[0].paths.d.options.timeout: expected at least 1 ms',
      'workers[0].transports[0].paths.d.options.max_requests_in_flight: expected a positive integer',
    ]);
  });
});

describe('wsgi path: Crossbar\'s keys, and the router worker\'s Python settings', () => {
  it('module and object: Crossbar\'s thread pool defaults, Debian\'s Python, the config folder', () => {
    assert.deepEqual(pathServiceModel({ type: 'wsgi', module: 'mysite.wsgi', object: 'application' }), {
      type: 'wsgi', module: 'mysite.wsgi', object: 'application', minThreads: 0, maxThreads: 20,
      python: { at: 'workers[0]', executable: '/usr/bin/python3', interpreterGiven: false, pythonpath: [], env: { inherit: true, vars: {} }, workdir: '/srv/junction' },
      options: limits,
    });
  });

  it('takes the router worker\'s python, pythonpath (against the config folder) and env, with no notice for them', () => {
    const config = loadDocument(configDocument({
      options: { python: '/opt/venv/bin/python', pythonpath: ['..', 'lib'], env: { inherit: ['PATH'], vars: { MODE: 'prod' } } },
      transports: [{ type: 'web', endpoint: { type: 'tcp', port: 0 }, paths: { api: { type: 'path', paths: { app: { type: 'wsgi', module: 'app', object: 'app', minthreads: 2, maxthreads: 4 } } } } }],
    }));
    assert.deepEqual(plain(serviceAt(config.listeners[0], '/api/app', 'wsgi')), {
      type: 'wsgi', module: 'app', object: 'app', minThreads: 2, maxThreads: 4,
      python: { at: 'workers[0]', executable: '/opt/venv/bin/python', interpreterGiven: true, pythonpath: ['/srv', '/srv/junction/lib'], env: { inherit: ['PATH'], vars: { MODE: 'prod' } }, workdir: '/srv/junction' },
      options: limits,
    });
    assert.deepEqual(config.notices, []);
  });

  it('a router without Python paths: its Python settings get one notice each', () => {
    const config = loadDocument(configDocument({ options: { python: 'python3', pythonpath: ['..'], env: { vars: { A: '1' } } } }));
    assert.deepEqual(config.notices, ['python', 'pythonpath', 'env'].map((key) =>
      `workers[0].options.${key}: the ${{ python: 'Python executable', pythonpath: 'Python module search path', env: 'process environment' }[key]} (${key}) of a router without Python components, Python paths (wsgi, resource, wap, static package) or function authenticators is not needed by Junction and was ignored [config.notice.ignored]`));
  });

  it('refuses a missing or malformed module or object, and a thread pool that cannot run', () => {
    assert.deepEqual(problemsOf(webDocument({
      a: { type: 'wsgi' },
      b: { type: 'wsgi', module: 'my-site/app.py', object: 'app()' },
      c: { type: 'wsgi', module: 'app', object: 'app', minthreads: 5, maxthreads: 2 },
      d: { type: 'wsgi', module: 'app', object: 'app', maxthreads: 0 },
    })), [
      'workers[0].transports[0].paths.a.module: missing: "module", the Python module of the WSGI app (like "app")',
      'workers[0].transports[0].paths.a.object: missing: "object", the WSGI callable in the module (like "app")',
      'workers[0].transports[0].paths.b.module: expected a Python module name, like "app" or "mysite.wsgi"',
      'workers[0].transports[0].paths.b.object: expected a Python name, like "app" or "application"',
      'workers[0].transports[0].paths.c.minthreads: minthreads (5) must not be more than maxthreads (2)',
      'workers[0].transports[0].paths.d.maxthreads: expected at least 1 thread',
    ]);
  });
});

const defaultPython = { at: 'workers[0]', executable: '/usr/bin/python3', interpreterGiven: false, pythonpath: [], env: { inherit: true, vars: {} }, workdir: '/srv/junction' };

describe('resource path: Crossbar\'s classname and extra, run by the router worker\'s Python', () => {
  it('extra goes to the class as given (any JSON value, null included); without it, {} as in Crossbar', () => {
    assert.deepEqual(pathServiceModel({ type: 'resource', classname: 'mysite.web.Hello' }), {
      type: 'resource', classname: 'mysite.web.Hello', extra: {}, python: defaultPython, options: limits,
    });
    assert.deepEqual(pathServiceModel({ type: 'resource', classname: 'site.Page', extra: { title: 'x', pages: [1, 2] }, options: { timeout: 500 } }).extra, { title: 'x', pages: [1, 2] });
    assert.equal(pathServiceModel({ type: 'resource', classname: 'site.Page', extra: null }).extra, null);
  });

  it('its router\'s Python settings are used, so they get no notice', () => {
    const config = loadDocument(configDocument({
      options: { pythonpath: ['lib'] },
      transports: [{ type: 'web', endpoint: { type: 'tcp', port: 0 }, paths: { r: { type: 'resource', classname: 'site.Page' } } }],
    }));
    assert.deepEqual(serviceAt(config.listeners[0], '/r', 'resource').python.pythonpath, ['/srv/junction/lib']);
    assert.deepEqual(config.notices, []);
  });

  it('refuses a missing classname, and one that does not name a module and a class', () => {
    assert.deepEqual(problemsOf(webDocument({
      a: { type: 'resource' },
      b: { type: 'resource', classname: 'Hello' },
      c: { type: 'resource', classname: 'my-site.Hello()' },
      d: { type: 'resource', classname: 'site.Page', extras: {} },
    })), [
      'workers[0].transports[0].paths.a.classname: missing: "classname", the Twisted Web resource class (like "mysite.web.Hello")',
      'workers[0].transports[0].paths.b.classname: expected a module and a class, like "mysite.web.Hello"',
      'workers[0].transports[0].paths.c.classname: expected a module and a class, like "mysite.web.Hello"',
      'workers[0].transports[0].paths.d.extras: unknown key "extras" (did you mean "extra"?)',
    ]);
  });
});

describe('static path with Crossbar\'s package and resource', () => {
  it('the package and its folder, to be found with the router worker\'s Python at start; its settings get no notice', () => {
    const config = loadDocument(configDocument({
      options: { pythonpath: ['lib'] },
      transports: [{ type: 'web', endpoint: { type: 'tcp', port: 0 }, paths: { '/': { type: 'static', package: 'mysite.assets', resource: 'web/site', options: { cache_timeout: 60 } } } }],
    }));
    assert.deepEqual(plain(serviceAt(config.listeners[0], '/', 'static')), {
      type: 'static',
      directory: { package: 'mysite.assets', resource: 'web/site', python: { ...defaultPython, pythonpath: ['/srv/junction/lib'] } },
      defaultFile: 'index.html', directoryListing: false, cacheTimeoutSeconds: 60, mimeTypes: {},
    });
    assert.deepEqual(config.notices, []);
  });

  it('refuses half of the pair, both forms at once, a malformed package and a resource outside the package', () => {
    assert.deepEqual(problemsOf(webDocument({
      a: { type: 'static', package: 'mysite' },
      b: { type: 'static', resource: 'web' },
      c: { type: 'static', directory: 'web', package: 'mysite', resource: 'web' },
      d: { type: 'static', package: 'my-site', resource: '../etc' },
      e: { type: 'static', package: 'mysite', resource: '/srv' },
    })), [
      'workers[0].transports[0].paths.a.resource: missing: "resource", the folder inside the package to serve',
      'workers[0].transports[0].paths.b.package: missing: "package", the Python package that ships the resource',
      'workers[0].transports[0].paths.c.package: give either "directory" or "package" and "resource", not both',
      'workers[0].transports[0].paths.d.package: expected a Python module name, like "mysite" or "mysite.web"',
      'workers[0].transports[0].paths.d.resource: a folder inside the package (relative, without "..")',
      'workers[0].transports[0].paths.e.resource: a folder inside the package (relative, without "..")',
    ]);
  });
});
