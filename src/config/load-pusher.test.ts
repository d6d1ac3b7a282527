import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfigFile } from './load.js';
import { configDocument, loadDocument, plain, problemsOf } from './test-support.js';

// dist/src/config/ -> the repository's examples/ folder.
const example = fileURLToPath(new URL('../../../examples/pusher/config.json', import.meta.url));

/** The issue's example, with the secret from the environment. */
const issueExample = {
  type: 'pusher', endpoint: { type: 'tcp', port: 6001 },
  apps: [{
    id: 'app1', key: 'app-key', secret: '${PUSHER_APP_SECRET}', realm: 'realm1', role: 'backend', client_events: true, topic_prefix: '',
    webhooks: [{ url: 'http://127.0.0.1:8000/pusher/webhook', events: ['channel_occupied', 'channel_vacated', 'member_added', 'member_removed', 'client_event'] }],
  }],
};

describe('pusher transports', () => {
  it('loads the issue\'s example with every default, the secret taken from the environment', () => {
    const listener = plain(loadDocument(configDocument({ transports: [issueExample] }), { PUSHER_APP_SECRET: 's3cret' }).listeners[0]!);
    assert.deepEqual(listener, {
      id: 'transport0', kind: 'pusher', endpoint: { port: 6001, interface: '0.0.0.0' }, paths: {}, trustedProxies: [],
      pusher: {
        apps: [{
          id: 'app1', key: 'app-key', secret: 's3cret', realm: 'realm1', role: 'backend', clientEvents: true, topicPrefix: '',
          webhooks: [{ url: 'http://127.0.0.1:8000/pusher/webhook', events: ['channel_occupied', 'channel_vacated', 'member_added', 'member_removed', 'client_event'] }],
        }],
        activityTimeoutS: 120, pongTimeoutMs: 30000, maxEventSize: 10240, maxMessageSize: 65536, maxChannelsPerConnection: 100,
        maxUserIdLength: 128, maxUserInfoSize: 1024, maxPresenceMembers: 100,
        clientEventsPerSecond: 10, maxConnections: 10000, maxPerAddress: 1000, maxBufferedBytes: 4194304, maxApiRequestsInFlight: 1000,
      },
    });
  });

  it('reads its options and TLS endpoint', () => {
    const transport = {
      ...issueExample, id: 'pusher_tls',
      endpoint: { type: 'tcp', port: 6002, tls: { key: 'key.pem', certificate: 'cert.pem' } },
      options: { activity_timeout: 30, max_event_size: 20480, client_events_per_second: 5, max_channels_per_connection: 10, max_user_id_length: 64, max_user_info_size: 2048, max_presence_members: 500, max_api_requests_in_flight: 3, trusted_proxies: ['10.0.0.0/8'] },
    };
    const listener = loadDocument(configDocument({ transports: [transport] }), { PUSHER_APP_SECRET: 's' }).listeners[0]!;
    assert.equal(listener.endpoint.tls?.key, '/srv/junction/key.pem');
    assert.deepEqual(listener.trustedProxies, ['10.0.0.0/8']);
    assert.equal(listener.pusher?.activityTimeoutS, 30);
    assert.equal(listener.pusher?.maxEventSize, 20480);
    assert.equal(listener.pusher?.clientEventsPerSecond, 5);
    assert.equal(listener.pusher?.maxChannelsPerConnection, 10);
    assert.equal(listener.pusher?.maxApiRequestsInFlight, 3);
    assert.equal(listener.pusher?.maxUserIdLength, 64);
    assert.equal(listener.pusher?.maxUserInfoSize, 2048);
    assert.equal(listener.pusher?.maxPresenceMembers, 500);
  });

  it('names what is wrong: unknown realm and role, duplicate keys, a bad key, an unknown webhook event, no apps', () => {
    const app = issueExample.apps[0]!;
    const problems = problemsOf(configDocument({
      transports: [{
        type: 'pusher', endpoint: { type: 'tcp', port: 6001 },
        apps: [
          { ...app, secret: 's', realm: 'nowhere' },
          { ...app, id: 'app2', secret: 's', role: 'nobody' },
          { ...app, id: 'app3', key: 'bad key', secret: 's', webhooks: [{ url: 'http://x/', events: ['channel_created'] }] },
        ],
      }, { type: 'pusher', endpoint: { type: 'tcp', port: 6003 }, apps: [] }],
    }));
    const text = problems.join('\n');
    assert.match(text, /apps\[0\]\.realm: realm "nowhere" is not defined/);
    assert.match(text, /apps\[1\]\.role: role "nobody" is not defined in realm "realm1"/);
    assert.match(text, /apps\[1\]\.key: duplicate app key "app-key"/);
    assert.match(text, /apps\[2\]\.key: an app key has 1 to 64 letters/);
    assert.match(text, /events\[0\]: expected one of channel_occupied/);
    assert.match(text, /transports\[1\]\.apps: a pusher transport needs at least one app/);
  });

  it('reports an unset secret variable by name, never a value', () => {
    const problems = problemsOf(configDocument({ transports: [issueExample] }));
    assert.match(problems.join('\n'), /secret: environment variable PUSHER_APP_SECRET is not set/);
  });

  it('examples/pusher/config.json loads with its secret from the environment', async () => {
    const config = await loadConfigFile(example, { env: { PUSHER_APP_SECRET: 'from-env' } });
    const pusher = config.listeners.find((listener) => listener.kind === 'pusher')!;
    assert.equal(pusher.pusher?.apps[0]?.secret, 'from-env');
    assert.equal(pusher.pusher?.apps[0]?.topicPrefix, 'laravel.');
    await assert.rejects(loadConfigFile(example, { env: {} }), /secret: environment variable PUSHER_APP_SECRET is not set/);
  });
});
