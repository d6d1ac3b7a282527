import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfigText } from './load.js';
import type { ComponentConfig } from './model.js';
import { ConfigError } from './problems.js';
import { componentModel, configDocument, loadDocument, plain, problemsOf, realmWithRoles } from './test-support.js';

// A forwarder's model minus who it is and what it forwards: the schema's defaults (schema-defaults.test.ts checks them).
const { kind: _kind, id: _id, realm: _realm, subscriptions: _subscriptions, ...forwarderDefaults } = componentModel({
  type: 'class', classname: 'MessageForwarder', id: 'fwd', realm: 'realm1', extra: { subscriptions: [{ topic: 'a', url: 'http://h/' }] },
}) as Extract<ComponentConfig, { kind: 'forwarder' }>;

function componentsOf(components: unknown[], extraWorkers: unknown[] = []): { components: ComponentConfig[]; notices: string[] } {
  const config = loadDocument(configDocument({ components }, extraWorkers));
  return { components: plain(config.components), notices: config.notices };
}

describe('bridge components: valid files and their model', () => {
  const cases: { name: string; component: Record<string, unknown>; expected: ComponentConfig; notices?: string[] }[] = [
    {
      name: "MessageForwarder by Crossbar's class name: star topics, explicit match, Junction's options",
      component: {
        type: 'class',
        id: 'news',
        classname: 'crossbar.bridge.rest.MessageForwarder',
        realm: 'realm1',
        role: 'backend',
        extra: {
          subscriptions: [
            { topic: 'breaking-news.*', url: 'https://app.example.com/hooks/news' },
            { topic: 'alerts..fire', match: 'wildcard', url: 'http://127.0.0.1:5000/fire' },
          ],
          method: 'put',
          expectedcode: 204,
          headers: { Authorization: 'Bearer abc' },
          signing_secret: 'sign-me',
          timeout: 2000,
          concurrency_per_url: 2,
          retry: { initial_delay: 100, max_delay: 5000, max_attempts: 3 },
          outbox_limit: 50,
          outbox_limit_bytes: 5000000,
        },
      },
      expected: {
        kind: 'forwarder',
        id: 'news',
        realm: 'realm1',
        role: 'backend',
        subscriptions: [
          { topic: 'breaking-news.', match: 'prefix', url: 'https://app.example.com/hooks/news' },
          { topic: 'alerts..fire', match: 'wildcard', url: 'http://127.0.0.1:5000/fire' },
        ],
        method: 'PUT',
        expectedCode: 204,
        headers: { Authorization: 'Bearer abc' },
        signingSecret: 'sign-me',
        timeoutMs: 2000,
        concurrencyPerUrl: 2,
        retry: { initialDelayMs: 100, maxDelayMs: 5000, maxAttempts: 3 },
        outboxLimit: 50,
        outboxLimitBytes: 5000000,
      },
    },
    {
      name: 'MessageForwarder (short name) with defaults and without an id: component<index>, with a notice; debug ignored',
      component: { type: 'class', classname: 'MessageForwarder', realm: 'realm1', extra: { subscriptions: [{ topic: 'a.b', url: 'http://h/x' }], debug: true } },
      expected: { kind: 'forwarder', id: 'component0', realm: 'realm1', subscriptions: [{ topic: 'a.b', match: 'exact', url: 'http://h/x' }], ...forwarderDefaults },
      notices: [
        'workers[0].components[0].extra.debug: Crossbar debug logging of forwarded responses (debug; use --log-level) is not needed by Junction and was ignored [config.notice.ignored]',
        'workers[0].components[0]: this forwarder has no "id", so it is "component0": give it an id so its outbox folder stays the same when components are added or reordered [config.notice.forwarder_id]',
      ],
    },
    {
      name: 'RESTCallee with defaults',
      component: { type: 'class', id: 'api', classname: 'crossbar.bridge.rest.RESTCallee', realm: 'realm1', role: 'backend', extra: { procedure: 'webapp.api', baseurl: 'http://127.0.0.1:5000/api/' } },
      expected: {
        kind: 'rest-callee',
        id: 'api',
        realm: 'realm1',
        role: 'backend',
        procedure: 'webapp.api',
        baseUrl: 'http://127.0.0.1:5000/api/',
        headers: {},
        timeoutMs: 10000,
        errorOn4xx: false,
        errorOn5xx: false,
        maxResponseBytes: 1048576,
      },
    },
    {
      name: 'RESTCallee with every option',
      component: {
        type: 'class',
        classname: 'RESTCallee',
        realm: 'realm1',
        extra: {
          procedure: 'webapp.api',
          baseurl: 'https://app/api',
          headers: { 'X-Key': 'k' },
          timeout: 500,
          error_on_4xx: true,
          error_on_5xx: true,
          max_response_bytes: 100,
          authenticator: true,
        },
      },
      expected: {
        kind: 'rest-callee',
        id: 'component0',
        realm: 'realm1',
        procedure: 'webapp.api',
        baseUrl: 'https://app/api',
        headers: { 'X-Key': 'k' },
        timeoutMs: 500,
        errorOn4xx: true,
        errorOn5xx: true,
        maxResponseBytes: 100,
        authenticator: true,
      },
    },
    {
      name: 'process: cwd defaults to the config folder; a relative program is found from cwd',
      component: { type: 'process', id: 'resize', realm: 'realm1', role: 'backend', procedure: 'images.resize', command: ['./bin/resize.sh', '--fast'] },
      expected: {
        kind: 'process',
        id: 'resize',
        realm: 'realm1',
        role: 'backend',
        procedure: 'images.resize',
        command: ['/srv/junction/bin/resize.sh', '--fast'],
        cwd: '/srv/junction',
        env: {},
        timeoutMs: 30000,
        concurrency: 4,
        queueLimit: 100,
        maxOutputBytes: 1048576,
      },
    },
    {
      name: 'process: a bare program stays for PATH; cwd, env and limits as given',
      component: {
        type: 'process',
        realm: 'realm1',
        procedure: 'report.build',
        command: ['php', 'report.php'],
        cwd: 'apps/report',
        env: { APP_ENV: 'prod' },
        timeout: 1000,
        concurrency: 1,
        queue_limit: 0,
        max_output_bytes: 4096,
      },
      expected: {
        kind: 'process',
        id: 'component0',
        realm: 'realm1',
        procedure: 'report.build',
        command: ['php', 'report.php'],
        cwd: '/srv/junction/apps/report',
        env: { APP_ENV: 'prod' },
        timeoutMs: 1000,
        concurrency: 1,
        queueLimit: 0,
        maxOutputBytes: 4096,
      },
    },
    {
      name: 'zeromq: a PULL socket bound, topic_field mapping; defaults',
      component: { type: 'zeromq', id: 'pusher', realm: 'realm1', role: 'backend', bind: 'tcp://127.0.0.1:5555', topic_field: 'form' },
      expected: {
        kind: 'zeromq', id: 'pusher', realm: 'realm1', role: 'backend', socket: 'pull',
        endpoint: { mode: 'bind', address: 'tcp://127.0.0.1:5555' }, subscribe: [], topicField: 'form', maxMessageBytes: 1048576,
      },
    },
    {
      name: 'zeromq: a SUB socket connected, every message by default',
      component: { type: 'zeromq', realm: 'realm1', connect: 'ipc:///run/app/pub.sock', socket: 'sub', max_message_bytes: 2048 },
      expected: {
        kind: 'zeromq', id: 'component0', realm: 'realm1', socket: 'sub',
        endpoint: { mode: 'connect', address: 'ipc:///run/app/pub.sock' }, subscribe: [''], maxMessageBytes: 2048,
      },
    },
    {
      name: 'stdio: a program found from cwd, the defaults',
      component: { type: 'stdio', id: 'sensor', realm: 'realm1', role: 'backend', command: ['./sensor.sh'] },
      expected: {
        kind: 'stdio', id: 'sensor', realm: 'realm1', role: 'backend',
        command: ['/srv/junction/sensor.sh'], cwd: '/srv/junction', env: {},
        maxLineBytes: 65536, queueLimit: 1000, restart: { initialDelayMs: 500, maxDelayMs: 30000 },
      },
    },
  ];
  for (const { name, component, expected, notices = [] } of cases) {
    it(name, () => {
      const result = componentsOf([component]);
      assert.deepEqual(result.components, [expected]);
      assert.deepEqual(result.notices, notices);
    });
  }

  it('generated ids skip ids the file uses; Python components stay recorded', () => {
    const forward = (id?: string) => ({
      type: 'class',
      ...(id === undefined ? {} : { id }),
      classname: 'MessageForwarder',
      realm: 'realm1',
      extra: { subscriptions: [{ topic: 'a', url: 'http://h/' }] },
    });
    const { components } = componentsOf([forward(), forward('component0'), { type: 'class', classname: 'app.Backend', realm: 'realm1' }]);
    assert.deepEqual(components.map((component) => [component.kind, component.id]), [
      ['forwarder', 'component0_'],
      ['forwarder', 'component0'],
      ['python', undefined],
    ]);
  });

  it("a container's bridge class runs inside the router, with a notice", () => {
    const container = {
      type: 'container',
      components: [
        {
          type: 'class',
          id: 'fwd',
          classname: 'crossbar.adapter.rest.MessageForwarder',
          realm: 'realm1',
          extra: { subscriptions: [{ topic: 'a', url: 'http://h/' }] },
          transport: { type: 'websocket', endpoint: { type: 'tcp', host: '127.0.0.1', port: 8080 }, url: 'ws://127.0.0.1:8080/ws' },
        },
      ],
    };
    const { components, notices } = componentsOf([], [container]);
    assert.deepEqual(components, [{ kind: 'forwarder', id: 'fwd', realm: 'realm1', subscriptions: [{ topic: 'a', match: 'exact', url: 'http://h/' }], ...forwarderDefaults }]);
    assert.deepEqual(notices, [
      'workers[1].components[0]: crossbar.adapter.rest.MessageForwarder runs inside the router as a trusted session; its "transport" is not used [config.notice.transport_unused]',
    ]);
  });
});

describe('bridge components: invalid files and their messages', () => {
  const cases: { name: string; components: unknown[]; problems: string[] }[] = [
    {
      name: 'process: a command string is refused (no shell), an empty list too',
      components: [
        { type: 'process', realm: 'realm1', procedure: 'a.b', command: 'php handler.php $ARG' },
        { type: 'process', realm: 'realm1', procedure: 'a.c', command: [] },
        { type: 'process', realm: 'realm1', procedure: 'a.d' },
      ],
      problems: [
        'workers[0].components[0].command: give the command as a list, e.g. ["/usr/bin/php", "handler.php"]: Junction starts the program directly, never through a shell',
        'workers[0].components[1].command: needs at least the program to run',
        'workers[0].components[2].command: missing: the program to run and its arguments, e.g. ["/usr/bin/php", "handler.php"]',
      ],
    },
    {
      name: 'zeromq: one of bind and connect, a real endpoint, subscribe only for sub',
      components: [
        { type: 'zeromq', realm: 'realm1' },
        { type: 'zeromq', realm: 'realm1', bind: 'tcp://127.0.0.1:5555', connect: 'tcp://127.0.0.1:5556' },
        { type: 'zeromq', realm: 'realm1', bind: '127.0.0.1:5555' },
        { type: 'zeromq', realm: 'realm1', bind: 'tcp://127.0.0.1:5555', subscribe: ['a'] },
      ],
      problems: [
        'workers[0].components[0].bind: give exactly one of "bind" and "connect"',
        'workers[0].components[1].connect: give exactly one of "bind" and "connect"',
        'workers[0].components[2].bind: expected a ZeroMQ endpoint such as "tcp://127.0.0.1:5555" or "ipc:///run/app/push.sock"',
        'workers[0].components[3].subscribe: "subscribe" applies to socket "sub" only',
      ],
    },
    {
      name: 'stdio: a command list and a sane restart backoff',
      components: [
        { type: 'stdio', realm: 'realm1', command: './sensor.sh' },
        { type: 'stdio', realm: 'realm1', command: ['x'], restart: { initial_delay: 5000, max_delay: 1000 }, max_line_bytes: 0 },
      ],
      problems: [
        'workers[0].components[0].command: give the command as a list, e.g. ["/usr/bin/php", "handler.php"]: Junction starts the program directly, never through a shell',
        'workers[0].components[1].max_line_bytes: expected a number of bytes (a positive integer)',
        'workers[0].components[1].restart.initial_delay: initial_delay must not exceed max_delay',
      ],
    },
    {
      name: 'process: bad env names and a missing procedure',
      components: [{ type: 'process', realm: 'realm1', command: ['x'], env: { 'BAD-NAME': 'v', OK: 1 } }],
      problems: [
        'workers[0].components[0].procedure: missing: the procedure this program serves',
        'workers[0].components[0].env["BAD-NAME"]: an environment variable name has letters, digits and "_"',
        'workers[0].components[0].env.OK: an environment value is a string',
      ],
    },
    {
      name: 'forwarder: URLs must be http(s), subscriptions present, headers clean, retry sane; typos get suggestions',
      components: [
        {
          type: 'class',
          classname: 'MessageForwarder',
          realm: 'realm1',
          extra: {
            subscriptions: [{ topic: 'a.b', url: 'ftp://files/x' }, { topic: 'a*b', url: 'http://h/' }],
            headers: { 'Bad Header': 'x', Good: 'line\nbreak' },
            retry: { initial_delay: 5000, max_delay: 1000 },
            expected_code: 200,
          },
        },
        { type: 'class', classname: 'MessageForwarder', realm: 'realm1', extra: {} },
      ],
      problems: [
        'workers[0].components[0].extra.subscriptions[0].url: a subscription url must use http:// or https:// (not ftp:)',
        'workers[0].components[0].extra.subscriptions[1].topic: "a*b": a "*" must be a whole URI component (as in "com.*.update") or the last character (as in "com.example.*")',
        'workers[0].components[0].extra.headers["Bad Header"]: not a valid HTTP header name',
        'workers[0].components[0].extra.headers.Good: a header value must not contain line breaks or NUL',
        'workers[0].components[0].extra.retry.initial_delay: initial_delay must not exceed max_delay',
        'workers[0].components[0].extra.expected_code: unknown key "expected_code" (did you mean "expectedcode"?)',
        'workers[0].components[1].extra.subscriptions: missing: the topics to forward and their URLs',
      ],
    },
    {
      name: "RESTCallee: Crossbar's empty baseurl, a query, credentials, a missing procedure",
      components: [
        { type: 'class', classname: 'RESTCallee', realm: 'realm1', extra: { procedure: 'a.b', baseurl: '' } },
        { type: 'class', classname: 'RESTCallee', realm: 'realm1', extra: { baseurl: 'http://h/api?x=1' } },
        { type: 'class', classname: 'RESTCallee', realm: 'realm1', extra: { procedure: 'a.b', baseurl: 'https://user:pw@h/api' } },
      ],
      problems: [
        'workers[0].components[0].extra.baseurl: an empty baseurl (any URL, in Crossbar) is not offered: give the base URL that requests stay below',
        'workers[0].components[1].extra.procedure: missing: the procedure to register',
        'workers[0].components[1].extra.baseurl: baseurl must not have a query ("?..."); callers pass "params"',
        'workers[0].components[2].extra.baseurl: baseurl must not contain a user name or password; send credentials in "headers"',
      ],
    },
    {
      name: 'realms and roles named by components exist; ids are unique',
      components: [
        { type: 'process', id: 'job', realm: 'realm9', procedure: 'a.b', command: ['x'] },
        { type: 'process', id: 'job', realm: 'realm1', role: 'admin', procedure: 'a.c', command: ['x'] },
        { type: 'class', classname: 'app.Backend', realm: 'realm7' },
      ],
      problems: [
        'workers[0].components[0].realm: realm "realm9" is not defined in this configuration',
        'workers[0].components[1].id: duplicate component id "job" (first used at workers[0].components[0].id)',
        'workers[0].components[1].role: role "admin" is not defined in realm "realm1"',
        'workers[0].components[2].realm: realm "realm7" is not defined in this configuration',
      ],
    },
    {
      name: 'an unknown component type names the three',
      components: [{ type: 'proces', realm: 'realm1' }],
      problems: ['workers[0].components[0].type: unknown component type "proces" (expected "class" or "function" or "process" or "zeromq" or "stdio"); did you mean "process"?'],
    },
  ];
  for (const { name, components, problems } of cases) {
    it(name, () => assert.deepEqual(problemsOf(configDocument({ components })), problems));
  }

  it("URIs a component uses must pass its realm's check (strict here)", () => {
    const document = configDocument({
      realms: [realmWithRoles('app', ['bridge'], { uri_check: 'strict' })],
      components: [
        { type: 'class', id: 'fwd', classname: 'MessageForwarder', realm: 'app', role: 'bridge', extra: { subscriptions: [{ topic: 'breaking-news.*', url: 'http://h/' }, { topic: '*', url: 'http://h/' }] } },
        { type: 'process', realm: 'app', procedure: 'Reports.Build', command: ['x'] },
      ],
    });
    assert.deepEqual(problemsOf(document), [
      'workers[0].components[0].extra.subscriptions[0].topic: "breaking-news." does not follow realm "app"\'s strict URI rule (a-z, 0-9 and "_" per component); change it or set the realm\'s options.uri_check to "loose"',
      'workers[0].components[0].extra.subscriptions[1].topic: the router refuses a pattern that matches every URI; name a topic or prefix',
      'workers[0].components[1].procedure: "Reports.Build" does not follow realm "app"\'s strict URI rule (a-z, 0-9 and "_" per component); change it or set the realm\'s options.uri_check to "loose"',
    ]);
  });

  it('an unknown key inside extra is located at the key itself', () => {
    const yaml = `workers:
  - type: router
    realms: [{name: realm1, roles: []}]
    transports: [{type: websocket, endpoint: {type: tcp, port: 0}}]
    components:
      - type: class
        classname: RESTCallee
        realm: realm1
        extra:
          procedure: a.b
          baseurl: http://h/
          time_out: 5
`;
    assert.throws(() => parseConfigText(yaml, { source: 't.yaml', env: {} }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.message, 't.yaml:12:11: workers[0].components[0].extra.time_out: unknown key "time_out" (did you mean "timeout"?) [config.unknown_key]');
      return true;
    });
  });
});
