import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuthConfig } from '../../config/model.js';
import { startTestNode, testConfig } from '../../../test/support/node.js';
import { UnsupportedConfigError } from '../auth-wiring.js';

function withSse(realm: string, auth: AuthConfig) {
  const config = testConfig();
  config.listeners[0]!.paths['/sse'] = {
    type: 'sse', realm, auth, cookieName: 'junction_ticket', heartbeatMs: 15_000, maxTopics: 32, maxBufferedBytes: 1_048_576,
    maxStreams: 10_000, maxPerAddress: 100, resumeWaitMs: 1000,
  };
  return config;
}

describe('sse path service', () => {
  it('refuses to start for a realm the router does not have', async () => {
    await assert.rejects(startTestNode(withSse('nowhere', { anonymous: { type: 'static', role: 'anonymous' } })),
      (error: Error) => error instanceof UnsupportedConfigError && /path "\/sse".*realm "nowhere" does not exist/.test(error.message));
  });

  it('refuses sign-in methods a stream cannot answer (a computed challenge)', async () => {
    const auth: AuthConfig = { anonymous: { type: 'static', role: 'anonymous' }, wampcra: { type: 'static', users: {} } };
    await assert.rejects(startTestNode(withSse('realm1', auth)),
      (error: Error) => error instanceof UnsupportedConfigError && /only with anonymous or ticket, not wampcra/.test(error.message));
  });

  it('serves streams once the node is up, and lists itself among the served URLs', async () => {
    const node = await startTestNode(withSse('realm1', { anonymous: { type: 'static', role: 'anonymous' } }));
    try {
      assert.ok(node.services.some((served) => served.service === 'sse' && served.url.endsWith('/sse')));
      const response = await fetch(`http://127.0.0.1:${node.ports.get('test')}/sse`);
      assert.equal(response.status, 400);
      assert.equal(((await response.json()) as { error: string }).error, 'no_topic');
    } finally {
      await node.stop();
    }
  });
});
