import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from './load.js';
import type { StdioComponentConfig } from './model.js';
import { authenticatorHost, authenticatorTaskVariable } from './normalize-function-auth.js';
import { problemLinesOf } from './test-support.js';

function routerWith(auth: Record<string, unknown>, options: Record<string, unknown> = {}, port = 9000): Record<string, unknown> {
  return {
    type: 'router',
    options,
    realms: [{ name: 'realm1', roles: [{ name: 'frontend', permissions: [] }] }, { name: 'realm2', roles: [] }],
    transports: [{ type: 'websocket', endpoint: { type: 'tcp', port }, auth }],
  };
}

const load = (workers: unknown[]) => parseConfig({ version: 2, workers }, { source: 'test', env: {}, baseDir: '/srv/app' });
const problemsOf = (workers: unknown[]) => problemLinesOf(() => parseConfig({ version: 2, workers }, { source: 'test', env: {} }));

describe('function authenticators in the config', () => {
  it('a function method becomes a dynamic one served by a Python host in the first realm', () => {
    const config = load([routerWith(
      { wampcra: { type: 'function', create: 'authenticator.create_authenticator', expose_controller: true, config: { dbname: 'foo' } } },
      { python: '/opt/py/bin/python3', pythonpath: ['..', '/lib/py'], env: { inherit: ['HOME', 'LANG'], vars: { DB_HOST: 'db.local' } } },
    )]);
    const listener = config.listeners[0]!;
    const auth = (listener.paths['/'] as { auth: { wampcra: Record<string, unknown> } }).auth.wampcra;
    assert.equal(auth.type, 'dynamic');
    assert.equal(auth.function, 'authenticator.create_authenticator');
    assert.equal(auth.authenticatorRealm, 'realm1');
    assert.match(String(auth.authenticator), /^wamp\.junction\.private\.authenticator\.[0-9a-f]{16}$/);
    const hosts = config.components.filter((component) => component.kind === 'stdio') as StdioComponentConfig[];
    assert.equal(hosts.length, 1);
    const host = hosts[0]!;
    assert.deepEqual(host.command, ['/opt/py/bin/python3', authenticatorHost]);
    assert.equal(host.realm, 'realm1');
    assert.equal(host.role, undefined, 'the host joins with the router\'s trusted role');
    assert.equal(host.cwd, '/srv/app');
    assert.deepEqual(host.inherit, ['HOME', 'LANG'], 'the router worker\'s options.env applies to the host');
    assert.equal(host.env.DB_HOST, 'db.local');
    assert.equal(host.authenticatorFunction, 'authenticator.create_authenticator');
    assert.deepEqual(JSON.parse(host.env[authenticatorTaskVariable]!), {
      create: 'authenticator.create_authenticator',
      config: { dbname: 'foo' },
      procedure: auth.authenticator,
      pythonpath: ['/srv', '/lib/py'],
      max_line_bytes: host.maxLineBytes,
    });
    assert.ok(config.notices.some((line) => line.includes('expose_controller')), config.notices.join('\n'));
    assert.deepEqual(host.secrets, []);
  });

  it('the secrets in config are masked in the host\'s output', () => {
    const config = load([routerWith({ wampcra: { type: 'function', create: 'auth.create', config: {
      users: { joe: { secret: 's3cret', role: 'user' }, ann: { secret: 'an0ther', role: 'user' } }, dsn: 'postgres://app:pw1234@db', dbname: 'users',
    } } })]);
    const host = config.components[0] as StdioComponentConfig;
    assert.deepEqual(host.secrets, ['s3cret', 'an0ther', 'app:pw1234', 'pw1234']);
  });

  it('the same create and config share one host; another config gets its own', () => {
    const same = { type: 'function', create: 'auth.create', config: { a: 1 } };
    const config = load([{
      ...routerWith({ ticket: same, wampcra: same }),
      transports: [
        { type: 'websocket', endpoint: { type: 'tcp', port: 9000 }, auth: { ticket: same, wampcra: same } },
        { type: 'rawsocket', endpoint: { type: 'tcp', port: 9001 }, auth: { ticket: { ...same, config: { a: 2 } } } },
      ],
    }]);
    const hosts = config.components.filter((component) => component.kind === 'stdio');
    assert.equal(hosts.length, 2);
    assert.equal(config.components.find((component) => component.kind === 'stdio')?.realm, 'realm1');
  });

  it('without options.python, Debian\'s Python runs the host', () => {
    const config = load([routerWith({ anonymous: { type: 'function', create: 'auth.create' } })]);
    const host = config.components[0] as StdioComponentConfig;
    assert.equal(host.command[0], '/usr/bin/python3');
    assert.equal(host.inherit, true, 'as a guest, it inherits the router\'s environment unless options.env says otherwise');
    assert.deepEqual(JSON.parse(host.env[authenticatorTaskVariable]!).config, {});
  });

  it('refuses a create that names no module, a missing create, and unknown keys', () => {
    assert.deepEqual(problemsOf([routerWith({ ticket: { type: 'function', create: 'create_authenticator' } })]), [
      'test: workers[0].transports[0].auth.ticket.create: expected a Python module and function: "module.function"',
    ]);
    for (const [method, problem] of [
      [{ type: 'function' }, /^test: workers\[0\]\.transports\[0\]\.auth\.ticket\.create: /],
      [{ type: 'function', create: 'a.b', authenticator: 'x.y' }, /^test: workers\[0\]\.transports\[0\]\.auth\.ticket\.authenticator: unknown key "authenticator"$/],
      [{ type: 'function', create: 'a.b', config: [] }, /^test: workers\[0\]\.transports\[0\]\.auth\.ticket\.config: /],
    ] as const) {
      const problems = problemsOf([routerWith({ ticket: method })]);
      assert.equal(problems.length, 1, problems.join('\n'));
      assert.match(problems[0]!, problem);
    }
  });

  it('refuses a function authenticator when no realm is defined for its host to join', () => {
    const router = { ...routerWith({ ticket: { type: 'function', create: 'auth.create' }, anonymous: { type: 'static' } }), realms: [] };
    assert.deepEqual(problemsOf([router]), [
      'test: workers[0].transports[0].auth.ticket: a function authenticator runs in a Python host whose session joins the router\'s first realm, and this configuration defines no realm: add one',
    ]);
  });

  it('an unknown method type lists function among the expected ones', () => {
    assert.deepEqual(problemsOf([routerWith({ ticket: { type: 'python' } })]), [
      'test: workers[0].transports[0].auth.ticket.type: unknown ticket authentication type "python" (expected "static" or "dynamic" or "function")',
    ]);
  });
});
