import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { embeddedDefaultConfig } from './defaults.js';
import { serviceAt, websocketAt } from './test-support.js';

describe('embeddedDefaultConfig', () => {
  it('is realm1 (loose URIs), anonymous may do everything, WebSocket at 127.0.0.1:8080/ws with every serializer, and the HTTP entries', () => {
    const config = embeddedDefaultConfig();
    assert.deepEqual(config.realms.map((realm) => realm.name), ['realm1']);
    assert.deepEqual(config.realms[0]!.roles, [
      {
        name: 'anonymous',
        permissions: [
          {
            uri: '',
            match: 'prefix',
            allow: { call: true, register: true, publish: true, subscribe: true },
            disclose: { caller: false, publisher: false },
            cache: true,
          },
        ],
      },
    ]);
    assert.equal(config.listeners.length, 1);
    const listener = config.listeners[0]!;
    assert.deepEqual(listener.endpoint, { port: 8080, interface: '127.0.0.1' });
    assert.equal(config.realms[0]!.options.uriCheck, 'loose');
    assert.deepEqual(
      Object.fromEntries(Object.entries(listener.paths).map(([path, service]) => [path, service.type])),
      { '/': 'redirect', '/ws': 'websocket', '/publish': 'publisher', '/call': 'caller', '/lp': 'longpoll', '/sse': 'sse', '/info': 'nodeinfo', '/health': 'health', '/metrics': 'metrics', '/console': 'console' },
    );
    const console = serviceAt(listener, '/console', 'console');
    assert.equal(console.realm, 'realm1');
    assert.deepEqual(console.auth, { anonymous: { type: 'static', role: 'anonymous' } });
    assert.deepEqual(websocketAt(listener, '/ws').serializers, ['json', 'msgpack', 'cbor']);
    assert.deepEqual(websocketAt(listener, '/ws').auth, { anonymous: { type: 'static', role: 'anonymous' } });
    assert.deepEqual(config.notices, []);
  });

  it('returns a fresh object each time, so a caller may adjust it', () => {
    const first = embeddedDefaultConfig();
    first.listeners[0]!.endpoint.port = 0;
    assert.equal(embeddedDefaultConfig().listeners[0]!.endpoint.port, 8080);
  });
});

describe('sign_in limits', () => {
  it('default when absent and are read from the router worker when given', async () => {
    const { parseConfig } = await import('./index.js');
    const base = { version: 2, workers: [{ type: 'router', realms: [{ name: 'realm1', roles: [] }], transports: [{ type: 'websocket', endpoint: { type: 'tcp', port: 8080 } }] }] };
    assert.deepEqual(parseConfig(base, { source: 't' }).signIn, {
      failureBudget: 5, forgiveAfterMs: 60_000, spacingMs: 1_000, maxWaitMs: 5_000, challengeTimeoutMs: 60_000, dynamicTimeoutMs: 10_000,
    });
    const tuned = structuredClone(base) as { workers: Record<string, unknown>[] };
    tuned.workers[0]!.sign_in = { failure_budget: 2, max_wait: 0 };
    const signIn = parseConfig(tuned, { source: 't' }).signIn;
    assert.equal(signIn.failureBudget, 2);
    assert.equal(signIn.maxWaitMs, 0);
    tuned.workers[0]!.sign_in = { failure_budjet: 2 };
    assert.throws(() => parseConfig(tuned, { source: 't' }), /sign_in\.failure_budjet: unknown key "failure_budjet" \(did you mean "failure_budget"\?\)/);
  });
});
