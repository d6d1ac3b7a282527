import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maskedMark, maskSecrets, minMaskedValueLength, programSecretsMask } from './mask-secrets.js';
import { parseConfig } from './load.js';

describe('maskSecrets', () => {
  it('masks tickets, WAMP-CRA secrets and salts, passwords, headers and URL credentials, and keeps the rest', () => {
    const masked = maskSecrets({
      auth: {
        ticket: { type: 'static', principals: { alice: { ticket: 'open-sesame', role: 'ops' } } },
        wampcra: { type: 'static', users: { bob: { secret: 's3cret', salt: 'pepper', role: 'viewer' } } },
      },
      redis: { url: 'redis://user:hunter2@db:6379/0', password: 'hunter2', sentinelPassword: 'watchers-pw' },
      forwarder: { headers: { 'X-Custom': 'token-abc' }, signingSecret: 'sig', url: 'https://app.example/hook' },
      keys: new Map([['k', { privateKey: new Uint8Array([1, 2]) }]]),
      port: 8080,
    }) as Record<string, any>;
    const text = JSON.stringify(masked);
    for (const secret of ['open-sesame', 's3cret', 'pepper', 'hunter2', 'watchers-pw', 'token-abc', '"sig"']) assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
    assert.equal(masked.auth.ticket.principals.alice.role, 'ops');
    assert.equal(masked.auth.ticket.principals.alice.ticket, maskedMark);
    assert.equal(masked.auth.wampcra.users.bob.role, 'viewer');
    assert.equal(masked.redis.url, `redis://${maskedMark}@db:6379/0`);
    assert.equal(masked.forwarder.url, 'https://app.example/hook');
    assert.equal(masked.keys.k.privateKey, maskedMark);
    assert.equal(masked.port, 8080);
  });

  it('leaves no secret of a loaded configuration in its JSON', () => {
    const config = parseConfig({
      version: 2,
      workers: [{
        type: 'router',
        realms: [{ name: 'r', roles: [{ name: 'ops', permissions: [] }] }],
        transports: [{
          type: 'web', endpoint: { type: 'tcp', port: 0 },
          paths: { console: { type: 'console', realm: 'r', auth: { ticket: { type: 'static', principals: { op: { ticket: 'console-ticket-xyz', role: 'ops' } } }, wampcra: { type: 'static', users: { cra: { secret: 'cra-secret-xyz', role: 'ops' } } } } } },
        }],
      }],
    }, { source: 'test', env: {} });
    const text = JSON.stringify(maskSecrets(config));
    assert.ok(!text.includes('console-ticket-xyz') && !text.includes('cra-secret-xyz'), text);
    assert.ok(text.includes('"ops"'));
  });

  it('masks the keys and salt of WAMP-SCRAM principals, keeping their kdf, costs and role', () => {
    const config = parseConfig({
      version: 2,
      workers: [{
        type: 'router',
        realms: [{ name: 'r', roles: [{ name: 'user', permissions: [] }] }],
        transports: [{
          type: 'websocket', endpoint: { type: 'tcp', port: 0 },
          auth: { scram: { type: 'static', principals: { carol: {
            kdf: 'argon2id-13', memory: 512, iterations: 4096, salt: 'e0d47ca1bc1eb62e650fc1fd660a9bfb',
            'stored-key': '778faae5b615483c00225c12bc88f714467ddb8254d5a918469444d4371e2f74',
            'server-key': '32f8800ec7c15354efb66b7b23d8354aee29d8552f94b7bb99d385ceaf910c29', role: 'user',
          } } } },
        }],
      }],
    }, { source: 'test', env: {} });
    const masked = maskSecrets(config) as any;
    const text = JSON.stringify(masked);
    for (const secret of ['e0d47ca1', '778faae5', '32f8800e']) assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
    const principal = masked.listeners[0].paths['/'].auth.scram.principals.carol;
    assert.deepEqual(principal, { kdf: 'argon2id-13', iterations: 4096, memory: 512, salt: maskedMark, storedKey: maskedMark, serverKey: maskedMark, role: 'user' });
  });

  it("masks a webhook's github_secret and a program's environment values, keeping the variables' names", () => {
    const config = parseConfig({
      version: 2,
      workers: [{
        type: 'router',
        realms: [{ name: 'r', roles: [{ name: 'ops', permissions: [] }] }],
        transports: [{
          type: 'web', endpoint: { type: 'tcp', port: 0 },
          paths: { hook: { type: 'webhook', realm: 'r', role: 'ops', options: { topic: 'gh.push', github_secret: 'gh-secret-xyz' } } },
        }],
        components: [{ type: 'process', id: 'report', realm: 'r', procedure: 'com.report', command: ['node', 'report.js'], env: { DB_PASSWORD: 'db-pw-xyz', REGION: 'eu-west' } }],
      }],
    }, { source: 'test', env: {} });
    const text = JSON.stringify(maskSecrets(config));
    for (const secret of ['gh-secret-xyz', 'db-pw-xyz', 'eu-west']) assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
    assert.ok(text.includes('"DB_PASSWORD"') && text.includes('"gh.push"'), text);
  });

  it("masks the value of a program's secret options, attached or the next word, keeping the options and the program", () => {
    const config = parseConfig({
      version: 2,
      workers: [{
        type: 'router',
        realms: [{ name: 'r', roles: [{ name: 'ops', permissions: [] }] }],
        transports: [{ type: 'websocket', endpoint: { type: 'tcp', port: 0 } }],
        components: [
          {
            type: 'process', id: 'report', realm: 'r', procedure: 'com.report',
            command: ['/opt/token-tools/report', '--password=pw-xyz', '--token', 'tok-xyz', '--db-auth-key', '-dash-xyz', '--API_KEY=key-xyz', '--verbose', 'report.php', '--no-auth', '--quiet', '--client-secret=', '-p', '8080'],
          },
          { type: 'stdio', id: 'feed', realm: 'r', command: ['/usr/bin/php', 'feed.php', '--credentials', 'cred-xyz', '--dsn=postgres://u:pw-xyz@db/app'] },
        ],
      }],
    }, { source: 'test', env: {} });
    const masked = maskSecrets(config) as { components: { command: string[] }[] };
    assert.deepEqual(masked.components.map((component) => component.command), [
      ['/opt/token-tools/report', `--password=${maskedMark}`, '--token', maskedMark, '--db-auth-key', maskedMark, `--API_KEY=${maskedMark}`, '--verbose', 'report.php', '--no-auth', '--quiet', `--client-secret=${maskedMark}`, '-p', '8080'],
      ['/usr/bin/php', 'feed.php', '--credentials', maskedMark, `--dsn=postgres://${maskedMark}@db/app`],
    ]);
  });

  it('masks every header value of a forwarder and a REST callee, Authorization, Cookie and X-Api-Key among them, keeping the names', () => {
    const headers = { Authorization: 'Bearer bearer-xyz', 'Proxy-Authorization': 'Basic proxy-xyz', Cookie: 'sid=cookie-xyz', 'X-Api-Key': 'api-key-xyz' };
    const masked = maskSecrets({ forwarder: { headers }, restCallee: { headers: { ...headers } } }) as Record<string, { headers: Record<string, string> }>;
    const hidden = Object.fromEntries(Object.keys(headers).map((name) => [name, maskedMark]));
    assert.deepEqual(masked.forwarder!.headers, hidden);
    assert.deepEqual(masked.restCallee!.headers, hidden);
  });

  it('shows an object shared by two places at both, and a cycle as [circular]', () => {
    const retry = { initialDelayMs: 1000, maxAttempts: 5 };
    const headers = { Authorization: 'Bearer shared-xyz' };
    const cycle: Record<string, unknown> = { name: 'loop' };
    cycle.self = cycle;
    const masked = maskSecrets({ a: { retry, headers }, b: { retry, headers }, cycle }) as Record<string, any>;
    assert.deepEqual(masked.b, masked.a);
    assert.deepEqual(masked.b, { retry, headers: { Authorization: maskedMark } });
    assert.deepEqual(masked.cycle, { name: 'loop', self: '[circular]' });
  });

  it("masks a URL's user name, password and query values wherever a configuration holds one", () => {
    const masked = maskSecrets({
      url: 'https://user:pw-xyz@hooks.example/x?api_key=key-xyz&page=2#frag',
      token: 'https://tok-xyz@api.example/',
      args: ['--db=postgres://dbuser:db-pw-xyz@db/app', 'plain text with no URL', 'https://example.com/a@b'],
    }) as Record<string, any>;
    assert.equal(masked.url, `https://${maskedMark}@hooks.example/x?api_key=${maskedMark}&page=${maskedMark}`);
    assert.deepEqual(masked.args, [`--db=postgres://${maskedMark}@db/app`, 'plain text with no URL', 'https://example.com/a@b']);
    assert.ok(!JSON.stringify(masked).includes('xyz'), JSON.stringify(masked));
  });

  // The loader refuses credentials in a forwarder's or REST callee's URL and a query in a base URL; a query is the forwarder's place for an API key.
  it('leaves no secret of the components, the cluster, TLS or the HTTP bridge in a loaded configuration', () => {
    const config = parseConfig({
      version: 2,
      workers: [{
        type: 'router',
        realms: [{ name: 'r', roles: [{ name: 'ops', permissions: [] }] }],
        cluster: { redis: { url: 'redis://redis-user:redis-pw-xyz@redis.internal:6379/0' } },
        transports: [{
          type: 'web', endpoint: { type: 'tcp', port: 0, tls: { key: '/etc/ssl/private/router-key-xyz.pem', certificate: '/etc/ssl/router.crt' } },
          paths: {
            publish: { type: 'publisher', realm: 'r', role: 'ops', options: { key: 'app1', secret: 'bridge-secret-xyz' } },
            ws: { type: 'websocket', auth: { ticket: { type: 'static', principals: { svc: { ticket: 'ws-ticket-xyz', role: 'ops' } } } } },
          },
        }],
        components: [
          {
            type: 'class', id: 'orders', classname: 'crossbar.bridge.rest.MessageForwarder', realm: 'r',
            extra: { subscriptions: [{ topic: 'orders.new', url: 'https://app.example/hooks/orders?api_key=hook-key-xyz' }] },
          },
          {
            type: 'class', id: 'api', classname: 'crossbar.bridge.rest.RESTCallee', realm: 'r',
            extra: { procedure: 'com.api', baseurl: 'https://api.example/v1/', headers: { 'X-Api': 'callee-header-xyz' } },
          },
        ],
      }],
    }, { source: 'test', env: {} });
    const text = JSON.stringify(maskSecrets(config));
    assert.deepEqual(text.match(/[\w./-]*xyz\w*/g), null, text);
    for (const kept of ['"orders.new"', 'https://app.example/hooks/orders?api_key=*****', 'https://api.example/v1/', 'redis://*****@redis.internal:6379/0', '/etc/ssl/router.crt']) {
      assert.ok(text.includes(kept), `${kept} not in ${text}`);
    }
  });
});

describe('programSecretsMask', () => {
  const mask = programSecretsMask(
    ['/usr/bin/cat', '--credential=cc-xyz', '--token', 'tok-xyz', '--key', 'abc', '--verbose', 'report.txt', '--api-key=tok-xyz-long', '--dsn=postgres://app:url-pw-xyz@db/app'],
    { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', DB_PASSWORD: 'db-pw-xyz', WAMP_TICKET: 'ticket-xyz', LOG_LEVEL: 'debug', CACHE: 'redis://:redis-pw-xyz@cache:6379' },
  );

  it("masks the values of a program's secret options and secret-named environment variables wherever they stand in a line", () => {
    assert.equal(mask("cat: unrecognized option '--credential=cc-xyz'"), `cat: unrecognized option '--credential=${maskedMark}'`);
    assert.equal(mask('connecting with tok-xyz and db-pw-xyz, ticket ticket-xyz; again tok-xyz'),
      `connecting with ${maskedMark} and ${maskedMark}, ticket ${maskedMark}; again ${maskedMark}`);
  });

  it("masks the user name and password of a URL in the program's arguments and environment, and the password alone", () => {
    assert.equal(mask('cannot reach postgres://app:url-pw-xyz@db/app, password url-pw-xyz; redis-pw-xyz'),
      `cannot reach postgres://${maskedMark}@db/app, password ${maskedMark}; ${maskedMark}`);
  });

  it('masks a secret that contains another one whole, and keeps what is no secret', () => {
    assert.equal(mask('key tok-xyz-long'), `key ${maskedMark}`);
    assert.equal(mask('report.txt: level debug, LANG C.UTF-8, PATH /usr/bin:/bin, --verbose'), 'report.txt: level debug, LANG C.UTF-8, PATH /usr/bin:/bin, --verbose');
  });

  it(`leaves values shorter than ${minMaskedValueLength} characters alone: they are too common to mask`, () => {
    assert.equal(mask('abc def'), 'abc def');
  });

  it('changes nothing for a program given no secrets', () => {
    const none = programSecretsMask(['/bin/echo', 'hello'], { PATH: '/bin' });
    assert.equal(none('hello /bin'), 'hello /bin');
  });

  it('masks each line of a secret that spans lines, as a program writes and a log shows it line by line', () => {
    const key = programSecretsMask(['/bin/prog'], { PRIVATE_KEY: 'first-line-xyz\r\nsecond-line-xyz\nab' });
    assert.equal(key('first-line-xyz\r\nsecond-line-xyz\nab'), maskedMark, 'whole');
    assert.equal(key('got second-line-xyz'), `got ${maskedMark}`);
    assert.equal(key('first-line-xyz'), maskedMark);
    assert.equal(key('ab'), 'ab', `a line shorter than ${minMaskedValueLength} characters is too common to mask`);
  });

  it('moves a cut back to the start of a secret it would cut in half', () => {
    const text = 'abc tok-xyz-long def';
    assert.equal(mask.cutBefore(text, 8), 4, 'inside tok-xyz-long');
    assert.equal(mask.cutBefore(text, 4), 4, 'at its start');
    assert.equal(mask.cutBefore(text, 16), 16, 'at its end');
    assert.equal(mask.cutBefore(text, 2), 2, 'no secret there');
    const overlapping = programSecretsMask(['/bin/prog'], { A_TOKEN: 'aaaa-bbbb', B_TOKEN: 'bbbb-cccc' });
    assert.equal(overlapping.cutBefore('xx aaaa-bbbb-cccc yy', 14), 3, 'back to bbbb-cccc, then to aaaa-bbbb that straddles its start');
    assert.equal(mask.longestBytes, Buffer.byteLength('app:url-pw-xyz'));
  });
});
