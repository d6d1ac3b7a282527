import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseConfigText } from '../../src/config/index.js';
import { startAuthNode } from './support/node.js';
import { signIn, type SignedIn } from './support/sign-in.js';

/**
 * Permissions written as users write them, in Crossbar's format with the star shorthand:
 * "*" = every URI, "com.example.*" = prefix, "com.*.news" = wildcard, no star = exact.
 */
const configText = JSON.stringify({
  version: 2,
  workers: [{
    type: 'router',
    realms: [{
      name: 'realm1',
      roles: [{
        name: 'app',
        permissions: [
          { uri: '*', allow: { subscribe: true } },
          { uri: 'com.example.*', allow: { call: true, register: true, publish: true, subscribe: true } },
          { uri: 'com.example.secret', allow: {} },
          { uri: 'com.*.news', allow: { publish: true, subscribe: true } },
          { uri: 'com.example.loud.*', allow: { call: true, register: true, publish: true, subscribe: true }, disclose: { caller: true, publisher: true } },
        ],
      }],
    }],
    transports: [{
      type: 'web',
      endpoint: { type: 'tcp', interface: '127.0.0.1', port: 0 },
      paths: { ws: { type: 'websocket', auth: { anonymous: { type: 'static', role: 'app' } } } },
    }],
  }],
});

const node = await startAuthNode(parseConfigText(configText, { source: 'permissions test', env: {} }));
after(() => node.stop());

interface AutobahnError { error: string; args: unknown[] }

async function refusedWith(attempt: Promise<unknown>): Promise<string> {
  try {
    await attempt;
  } catch (error) {
    const { error: uri, args } = error as AutobahnError;
    assert.equal(uri, 'wamp.error.not_authorized');
    return String(args[0]);
  }
  throw new Error('expected wamp.error.not_authorized');
}

describe('permissions from a Crossbar-format config (star shorthand, longest match)', () => {
  let callee: SignedIn;
  let caller: SignedIn;
  before(async () => {
    callee = await signIn(node.url, { authmethods: ['anonymous'] });
    caller = await signIn(node.url, { authmethods: ['anonymous'] });
  });
  after(async () => {
    await callee.close();
    await caller.close();
  });

  it('"*" lets the role subscribe anywhere, and nothing else', async () => {
    await callee.session.subscribe('org.anything', () => {});
    const message = await refusedWith(caller.session.publish('org.anything', [], {}, { acknowledge: true }));
    assert.match(message, /not authorized to publish "org\.anything"/);
    assert.match(await refusedWith(caller.session.call('org.anything')), /not authorized to call "org\.anything"/);
    assert.match(await refusedWith(callee.session.register('org.anything', () => 1)), /not authorized to register "org\.anything"/);
  });

  it('a prefix ("com.example.*") grants what it allows', async () => {
    await callee.session.register('com.example.add', (args: number[]) => args[0]! + args[1]!);
    assert.equal(await caller.session.call('com.example.add', [2, 3]), 5);
    await caller.session.publish('com.example.update', [], {}, { acknowledge: true });
  });

  it('a longer exact permission ("com.example.secret") overrides the prefix', async () => {
    assert.match(await refusedWith(caller.session.call('com.example.secret')), /not authorized to call "com\.example\.secret"/);
    assert.match(await refusedWith(caller.session.subscribe('com.example.secret', () => {})), /not authorized to subscribe to "com\.example\.secret"/);
    assert.match(await refusedWith(caller.session.publish('com.example.secret', [], {}, { acknowledge: true })), /publish/);
  });

  it('a wildcard ("com.*.news") matches one whole component', async () => {
    await caller.session.publish('com.sports.news', [], {}, { acknowledge: true });
    assert.match(await refusedWith(caller.session.publish('com.sports.scores', [], {}, { acknowledge: true })), /"com\.sports\.scores"/);
    assert.match(await refusedWith(caller.session.publish('com.sports.news.extra', [], {}, { acknowledge: true })), /"com\.sports\.news\.extra"/);
  });

  it("a permission with disclose forces the caller's identity on the callee, others do not", async () => {
    await callee.session.register('com.example.loud.who', (_args: unknown[], _kwargs: unknown, details: { caller?: number }) => details.caller ?? null);
    await callee.session.register('com.example.who', (_args: unknown[], _kwargs: unknown, details: { caller?: number }) => details.caller ?? null);
    assert.equal(await caller.session.call('com.example.loud.who'), caller.session.id);
    assert.equal(await caller.session.call('com.example.who'), null);
  });
});
