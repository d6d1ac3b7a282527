import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maskedMark, maskSecrets } from './mask-secrets.js';
import { parseConfig } from './load.js';

describe('maskSecrets', () => {
  it('masks tickets, WAMP-CRA secrets and salts, passwords, headers and URL passwords, and keeps the rest', () => {
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
    assert.equal(masked.redis.url, `redis://user:${maskedMark}@db:6379/0`);
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
});
