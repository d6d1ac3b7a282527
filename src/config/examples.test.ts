import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { loadConfigFile } from './load.js';
import { plain, serviceAt, websocketAt } from './test-support.js';
import { defaultRealmLimits } from './schema-router.js';

// dist/src/config/ -> the repository's examples/ folder.
const examples = fileURLToPath(new URL('../../../examples/', import.meta.url));

describe('Crossbar-style example configurations', () => {
  it('crossbar-pubsub: two realms, a standalone websocket transport, its Python class run', async () => {
    const config = await loadConfigFile(`${examples}crossbar-pubsub/config.json`, { env: {} });
    assert.deepEqual(config.realms.map((realm) => realm.name), ['realm1', 'sensors']);
    const sensors = config.realms[1]!;
    assert.deepEqual(sensors.options, { enableMetaApi: false, uriCheck: 'loose', limits: defaultRealmLimits });
    assert.deepEqual(
      sensors.roles.map((role) => role.permissions?.map((p) => `${p.match} ${p.uri}`)),
      [['prefix io.sensors.', 'wildcard io.sensors..config'], ['prefix io.sensors.', 'exact io.sensors.configure']],
    );
    assert.equal(sensors.roles[1]!.permissions![0]!.disclose.publisher, true);

    const [listener] = config.listeners;
    assert.equal(config.listeners.length, 1);
    assert.equal(listener!.kind, 'websocket');
    assert.deepEqual(listener!.endpoint, { port: 8080, interface: '0.0.0.0' });
    const service = websocketAt(listener, '/');
    assert.deepEqual(service.serializers, ['json', 'msgpack']);
    assert.equal(service.options.autoPingInterval, 10000);
    assert.equal(service.options.openHandshakeTimeout, 2500);

    assert.deepEqual(config.components, [
      { kind: 'python', where: 'router', type: 'class', classname: 'backend.sensors.Aggregator', realm: 'sensors', role: 'dashboard', extra: {} },
    ]);
    // The router runs its Python class (config.routerPython), so its pythonpath is used: no notice for either.
    assert.deepEqual(config.routerPython.map((worker) => worker.components.map((component) => component.type === 'class' && component.classname)), [['backend.sensors.Aggregator']]);
    assert.equal(config.notices.length, 3);
    assert.ok(!config.notices.some((line) => line.startsWith('workers[0].options.pythonpath: ')));
    assert.ok(config.notices.some((line) => line.startsWith('workers[0].transports[0].options.enable_webstatus: ')));
  });

  it('mqtt-sensors: an mqtt transport with ticket sign-in and payload mapping, MQTT over WebSocket beside WAMP', async () => {
    const config = await loadConfigFile(`${examples}mqtt-sensors/config.json`, { env: { KITCHEN_SECRET: 'k1' } });
    const [web, mqtt] = config.listeners;
    assert.equal(web!.paths['/mqtt']?.type, 'mqtt');
    assert.equal(mqtt!.kind, 'mqtt');
    assert.deepEqual(plain(mqtt!.mqtt!.payloadMapping), {
      '': { type: 'native', serializer: 'json' },
      'sensors.camera.': { type: 'passthrough' },
      'sensors.plain.': { type: 'json' },
    });
    assert.deepEqual(plain(mqtt!.mqtt!.auth), { ticket: { type: 'static', principals: { 'pi-kitchen': { ticket: 'k1', role: 'device' } } } });
    assert.equal(mqtt!.mqtt!.maxQueuedMessages, 5000);
  });

  it('crossbar-auth: three realms, every auth method, dynamic authorizer, event history', async () => {
    const env = { REPORTING_SECRET: 'report-secret', AUTHENTICATOR_TICKET: 'auth-ticket' };
    const config = await loadConfigFile(`${examples}crossbar-auth/config.json`, { env });
    assert.deepEqual(config.realms.map((realm) => realm.name), ['app', 'auth', 'devices']);
    const app = config.realms[0]!;
    assert.deepEqual(app.roles[1], { name: 'user', authorizer: 'com.example.authorize' });
    assert.deepEqual(app.store.eventHistory, [
      { uri: 'com.example.public.news', match: 'exact', limit: 500, limitBytes: 4194304 },
      { uri: 'com.example.public.ticker', match: 'exact', limit: 50, limitBytes: 4194304 },
    ]);

    const [web] = config.listeners;
    assert.equal(web!.id, 'public_web');
    assert.equal(web!.endpoint.backlog, 1024);
    assert.deepEqual(Object.keys(web!.paths), ['/ws', '/backend']);
    const browser = websocketAt(web, '/ws');
    assert.deepEqual(browser.options.allowedOrigins, ['https://*.example.com', 'http://localhost:*']);
    assert.equal(browser.options.allowNullOrigin, false);
    assert.deepEqual(browser.auth, {
      anonymous: { type: 'static', role: 'public' },
      ticket: { type: 'dynamic', authenticator: 'com.example.authenticate', authenticatorRealm: 'auth' },
    });

    const backend = websocketAt(web, '/backend').auth;
    assert.equal(backend.wampcra?.type, 'static');
    if (backend.wampcra?.type === 'static') {
      assert.deepEqual({ ...backend.wampcra.users.reporting }, {
        secret: 'report-secret', role: 'backend', salt: 'salt123', iterations: 1000, keylen: 32,
      });
    }
    if (backend.ticket?.type === 'static') assert.equal(backend.ticket.principals.authenticator!.ticket, 'auth-ticket');
    else assert.fail('expected static ticket auth');
    if (backend.cryptosign?.type === 'static') {
      assert.deepEqual({ ...backend.cryptosign.principals['thermostat-7'] }, {
        authorizedKeys: ['f591a35987c5a0db9431fcd8f0ed718bf383221f2b4521c481bfcb2a872c3ecd'],
        role: 'device',
        realm: 'devices',
      });
    } else {
      assert.fail('expected static cryptosign auth');
    }

    assert.deepEqual(config.components.map((c) => (c.kind === 'python' ? [c.where, c.classname, c.realm] : [c.kind])), [
      ['container', 'authenticator.AuthenticatorSession', 'auth'],
    ]);
  });

  it('tls/config.yaml: YAML, TLS files next to the config, environment port and ticket', async () => {
    const env = { JUNCTION_PORT: '8443', ORDER_SERVICE_TICKET: 'order-ticket' };
    const config = await loadConfigFile(`${examples}tls/config.yaml`, { env });
    const [listener] = config.listeners;
    assert.deepEqual(listener!.endpoint, {
      port: 8443,
      interface: '::',
      tls: {
        key: `${examples}tls/tls/server.key`,
        certificate: `${examples}tls/tls/server.crt`,
        chainCertificates: [`${examples}tls/tls/intermediate.crt`],
      },
    });
    const service = websocketAt(listener, '/');
    assert.equal(service.options.compression, true);
    assert.equal(service.options.maxBufferedBytes, 1048576);
    const shop = config.realms[0]!;
    assert.deepEqual(shop.roles[0]!.permissions!.map((p) => [p.match, p.uri]), [
      ['wildcard', 'shop.orders..status'],
      ['prefix', 'shop.catalog.'],
    ]);
    assert.deepEqual(shop.store.eventHistory, [{ uri: 'shop.orders.', match: 'prefix', limit: 1000, limitBytes: 4194304 }]);
    assert.deepEqual(config.notices, []);
  });

  it('http-bridge: the issue #5 setup (websocket, publisher, caller, webhook, forwarder, REST callee) loads clean', async () => {
    const env = { CALLER_SECRET: 'caller-secret', GITHUB_WEBHOOK_SECRET: 'gh-secret', FORWARDER_SECRET: 'fwd-secret' };
    const config = await loadConfigFile(`${examples}http-bridge/config.json`, { env });
    assert.deepEqual(config.notices, []);
    const [web] = config.listeners;
    assert.deepEqual(Object.keys(web!.paths), ['/ws', '/publish', '/call', '/hooks/github', '/health']);
    assert.deepEqual(web!.trustedProxies, ['127.0.0.1', '::1']);
    assert.deepEqual(serviceAt(web, '/publish', 'publisher').options.requireIp, ['127.0.0.1', '10.0.0.0/8']);
    assert.deepEqual(serviceAt(web, '/call', 'caller').options.signature, { key: 'backend', secret: 'caller-secret', timestampDeltaLimitSeconds: 60 });
    const hook = serviceAt(web, '/hooks/github', 'webhook');
    assert.equal(hook.topic, 'webhooks.github');
    assert.equal(hook.githubSecret, 'gh-secret');
    assert.deepEqual(
      config.components.map((component) => [component.kind, component.id]),
      [['forwarder', 'news_forwarder'], ['rest-callee', 'webapp_api']],
    );
    const [forwarder, callee] = plain(config.components);
    assert.deepEqual(forwarder, {
      kind: 'forwarder',
      id: 'news_forwarder',
      realm: 'realm1',
      role: 'bridge',
      subscriptions: [{ topic: 'breaking-news.', match: 'prefix', url: 'http://127.0.0.1:5000/hooks/news' }],
      method: 'POST',
      expectedCode: 200,
      headers: {},
      signingSecret: 'fwd-secret',
      timeoutMs: 10000,
      concurrencyPerUrl: 4,
      retry: { initialDelayMs: 500, maxDelayMs: 30000, maxAttempts: 300 },
      outboxLimit: 100000,
      outboxLimitBytes: 1073741824,
    });
    assert.equal(callee!.kind === 'rest-callee' && callee.baseUrl, 'http://127.0.0.1:5000/api/');
  });

  it('transports/config.yaml: a Unix RawSocket, a universal port with long-poll and SSE, a process component', async () => {
    const config = await loadConfigFile(`${examples}transports/config.yaml`, { env: { SSE_TICKET: 'sse-ticket' } });
    assert.deepEqual(config.notices, []);
    const [local, universal] = config.listeners;
    assert.equal(local!.kind, 'rawsocket');
    assert.deepEqual(local!.endpoint, { type: 'unix', port: 0, path: '/tmp/junction-example.sock', interface: '' });
    assert.deepEqual(local!.rawsocket?.serializers, ['msgpack', 'cbor']);
    assert.equal(universal!.kind, 'universal');
    assert.deepEqual(Object.keys(universal!.paths), ['/ws', '/lp', '/sse', '/live', '/health', '/metrics']);
    assert.equal(serviceAt(universal, '/lp', 'longpoll').requestTimeoutMs, 10000);
    assert.equal(serviceAt(universal, '/live', 'sse').cookieName, 'live_ticket');
    assert.equal(universal!.rawsocket?.auth.ticket?.type, 'static');
    const [converter] = config.components;
    assert.equal(converter!.kind, 'process');
    if (converter!.kind === 'process') {
      assert.deepEqual(converter.command, ['/usr/bin/php', 'handlers/convert.php']);
      assert.equal(converter.cwd, `${examples}transports`);
    }
  });

  it('pusher: a Pusher transport for a Laravel app beside a WAMP websocket path, its channels under laravel.', async () => {
    const config = await loadConfigFile(`${examples}pusher/config.json`, { env: { PUSHER_APP_SECRET: 'pusher-secret' } });
    assert.deepEqual(config.notices, []);
    const [web, pusher] = config.listeners;
    assert.deepEqual(Object.keys(web!.paths), ['/ws']);
    assert.equal(pusher!.kind, 'pusher');
    assert.deepEqual(pusher!.endpoint, { port: 6001, interface: '127.0.0.1' });
    const [app] = pusher!.pusher!.apps;
    assert.deepEqual([app!.key, app!.secret, app!.realm, app!.role, app!.topicPrefix, app!.clientEvents], ['app-key', 'pusher-secret', 'realm1', 'pusher', 'laravel.', true]);
    assert.equal(app!.webhooks[0]!.url, 'http://127.0.0.1:8000/pusher/webhook');
  });

  it('the examples name the variables they need', async () => {
    await assert.rejects(loadConfigFile(`${examples}tls/config.yaml`, { env: {} }), (error: Error) => {
      assert.match(error.message, /endpoint\.port: environment variable JUNCTION_PORT is not set/);
      assert.match(error.message, /principals\["order-service"\]\.ticket: environment variable ORDER_SERVICE_TICKET is not set/);
      return true;
    });
  });
});
