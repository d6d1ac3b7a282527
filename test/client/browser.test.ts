/**
 * The browser bundles in headless Chromium (Debian's /usr/bin/chromium, driven by
 * playwright-core): a page loads each bundle, connects to a router started here, subscribes,
 * publishes, registers and calls; and answers cryptosign and WAMP-CRA challenges with the
 * browser's WebCrypto, loading the on-demand auth chunk; signs in with WAMP-SCRAM against a
 * router (Argon2id's WebAssembly chunk, PBKDF2 through WebCrypto, the SASLprep chunk); and, when the router restarts on the
 * same port, the page's session redials and its subscription receives events again.
 */
import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, randomBytes, verify } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { Session } from '../../src/client/index.js';
import { launchChromium, serveBrowserBundles, skipWithoutChromium, type BundleServer, type LaunchedChromium } from '../support/chromium.js';
import { scramPrincipal } from '../../src/auth/scram-password.js';
import type { ScramParameters } from '../../src/protocol/scram-kdf.js';
import { allowAll, authConfig, startAuthNode } from '../auth/support/node.js';
import { startTestNode, testConfig } from '../support/node.js';

/** What the restart case keeps in the page between its evaluate calls. */
interface PageState {
  session: Session;
  events: unknown[];
  statuses: string[];
  restored: Promise<void>;
  eventArrived?: () => void;
}

describe('client browser bundles in headless Chromium', { skip: skipWithoutChromium, timeout: 60_000 }, () => {
  let chromium: LaunchedChromium;
  let page: Page;
  let bundles: BundleServer;
  const node = startTestNode();

  before(async () => {
    bundles = await serveBrowserBundles('junction client');
    chromium = await launchChromium();
    page = await chromium.firstPage();
    await page.goto(`${bundles.origin}/`);
  });

  after(async () => {
    await chromium?.close();
    await bundles?.close();
    await (await node).stop();
  });

  for (const [bundle, serializer] of [['junction-client.min.js', 'json'], ['junction-client.full.min.js', 'msgpack'], ['junction-client.full.min.js', 'cbor']] as const) {
    it(`${bundle} connects over ${serializer}, subscribes, publishes, registers and calls`, async () => {
      const { url } = await node;
      const outcome = await page.evaluate(
        async ({ bundle, serializer, url }) => {
          const client = await import(`/${bundle}`);
          const options = { url, realm: 'realm1', serializers: [serializer], reconnect: false };
          // Two sessions: a router does not echo a publication to its own publisher.
          const session = await client.connect(options);
          const other = await client.connect(options);
          let deliver!: (event: unknown) => void;
          const received = new Promise((resolve) => (deliver = resolve));
          await session.subscribe('browser.news', (args: unknown[], kwargs: unknown) => deliver([args, kwargs]));
          const subscription = await session.subscribe('browser.iterated');
          await session.register('browser.add', ([x, y]: [number, number]) => x + y);
          const publication = await other.publish('browser.news', ['hi'], { from: 'page' }, { acknowledge: true });
          await other.publish('browser.iterated', [7], undefined, { acknowledge: true });
          const iterator = subscription[Symbol.asyncIterator]();
          const iterated = (await iterator.next()).value.args;
          const sum = (await other.call('browser.add', [2, 3])).args;
          let error;
          try {
            await other.call('browser.missing');
          } catch (caught) {
            error = [(caught as Error).name, (caught as { uri: string }).uri];
          }
          const event = await received;
          await other.leave();
          await session.leave();
          return { event, iterated, sum, error, publication: typeof publication, state: session.state, agent: navigator.userAgent };
        },
        { bundle, serializer, url },
      );
      assert.deepEqual(outcome.event, [['hi'], { from: 'page' }]);
      assert.deepEqual(outcome.iterated, [7]);
      assert.deepEqual(outcome.sum, [5]);
      assert.deepEqual(outcome.error, ['WampError', 'wamp.error.no_such_procedure']);
      assert.equal(outcome.publication, 'number');
      assert.equal(outcome.state, 'closed');
      assert.match(outcome.agent, /Chrome/);
    });
  }

  it('answers cryptosign and salted WAMP-CRA challenges with WebCrypto, from the on-demand chunk', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url').toString('hex');
    const challenge = randomBytes(32).toString('hex');
    const craChallenge = JSON.stringify({ nonce: randomBytes(8).toString('hex') });
    // A scripted router inside the page, behind the client's transport seam: it challenges, records the answer, welcomes.
    const answers = await page.evaluate(
      async ({ seed, challenge, craChallenge }) => {
        const bundlePath = '/junction-client.min.js';
        const client = await import(bundlePath);
        const answer = async (auth: unknown, method: string, extra: Record<string, unknown>) => {
          let hello: unknown[] = [];
          let signature = '';
          const transport = async (_url: string, protocols: string[], handlers: { message(frame: string): void }) => ({
            protocol: protocols[0],
            close() {},
            send(frame: string) {
              const message = JSON.parse(frame);
              const reply = (wire: unknown[]) => queueMicrotask(() => handlers.message(JSON.stringify(wire)));
              if (message[0] === 1) {
                hello = message;
                reply([4, method, extra]);
              } else if (message[0] === 5) {
                signature = message[1];
                reply([2, 1, {}]);
              }
            },
          });
          await client.connect({ url: 'ws://scripted', realm: 'realm1', auth, transport, reconnect: false });
          return { details: (hello[2] as { authextra?: unknown }).authextra, signature };
        };
        return {
          cryptosign: await answer({ method: 'cryptosign', authid: 'dev', privateKey: seed }, 'cryptosign', { challenge }),
          wampcra: await answer({ method: 'wampcra', authid: 'joe', secret: 's3cret' }, 'wampcra', { challenge: craChallenge, salt: 'NaCl', iterations: 100, keylen: 32 }),
        };
      },
      { seed, challenge, craChallenge },
    );
    const expectedPublic = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('hex');
    assert.deepEqual(answers.cryptosign.details, { pubkey: expectedPublic });
    const signature = answers.cryptosign.signature;
    assert.equal(signature.slice(128), challenge);
    assert.ok(verify(null, Buffer.from(challenge, 'hex'), publicKey, Buffer.from(signature.slice(0, 128), 'hex')));
    const { pbkdf2Sync } = await import('node:crypto');
    const key = pbkdf2Sync('s3cret', 'NaCl', 100, 32, 'sha256').toString('base64');
    assert.equal(answers.wampcra.signature, createHmac('sha256', key).update(craChallenge).digest('base64'));
  });
  it('signs in with WAMP-SCRAM (Argon2id, PBKDF2, an authid SASLprep changes: from the on-demand chunks), checks the router\'s signature, and refuses a wrong password', async () => {
    const principal = async (password: string, parameters: Partial<ScramParameters>) => {
      const { 'stored-key': storedKey, 'server-key': serverKey, ...rest } = await scramPrincipal(password, parameters);
      return { ...rest, storedKey, serverKey, role: 'user' };
    };
    const scramNode = await startAuthNode(authConfig({
      scram: {
        type: 'static',
        principals: {
          ann: await principal('ann-pw', { kdf: 'argon2id-13', iterations: 2, memory: 64 }),
          bob: await principal('bob-pw', { kdf: 'pbkdf2', iterations: 1000 }),
          // SASLprep maps the soft hyphen to nothing: the page loads the SASLprep chunk for it.
          'I\u00ADX': await principal('ix-pw', { kdf: 'pbkdf2', iterations: 1000 }),
        },
      },
    }, [allowAll('user')]));
    try {
      const outcome = await page.evaluate(async (url) => {
        const bundlePath = '/junction-client.min.js';
        const client = await import(bundlePath);
        const signIn = async (authid: string, password: string) => {
          try {
            const session = await client.connect({ url, realm: 'realm1', auth: { method: 'scram', authid, password }, reconnect: false });
            const details = [session.details.authid, session.details.authmethod];
            await session.leave();
            return details;
          } catch (error) {
            return (error as { uri?: string }).uri ?? String(error);
          }
        };
        return { ann: await signIn('ann', 'ann-pw'), bob: await signIn('bob', 'bob-pw'), ix: await signIn('I\u00ADX', 'ix-pw'), wrong: await signIn('bob', 'ann-pw') };
      }, scramNode.url);
      assert.deepEqual(outcome, { ann: ['ann', 'scram'], bob: ['bob', 'scram'], ix: ['I\u00ADX', 'scram'], wrong: 'wamp.error.authentication_failed' });
    } finally {
      await scramNode.stop();
    }
  });

  it('redials after the router restarts on the same port, and the restored subscription receives events again', async () => {
    let restartable = await startTestNode();
    const port = restartable.ports.get('test')!;
    try {
      // The page keeps its session and what it sees on globalThis between the evaluate calls.
      const firstEvent = await page.evaluate(async (url) => {
        const bundlePath = '/junction-client.min.js';
        const client = await import(bundlePath);
        const state: Partial<PageState> & Pick<PageState, 'events' | 'statuses'> = { events: [], statuses: [] };
        (globalThis as unknown as { restartTest: typeof state }).restartTest = state;
        const session: Session = await client.connect({ url, realm: 'realm1', reconnect: { initialDelay: 20, maxDelay: 200, jitter: 0 } });
        state.session = session;
        await session.subscribe('browser.restart', (args: unknown[]) => {
          state.events.push(args[0]);
          state.eventArrived?.();
        });
        state.restored = (async () => {
          for await (const status of session.status()) {
            state.statuses.push(status.type);
            if (status.type === 'restored') return;
          }
        })();
        // One event before the restart, so the test knows the subscription worked to begin with.
        const arrived = new Promise<void>((resolve) => (state.eventArrived = resolve));
        const other = await client.connect({ url, realm: 'realm1', reconnect: false });
        await other.publish('browser.restart', ['before'], undefined, { acknowledge: true });
        await other.leave();
        await arrived;
        return state.events.slice();
      }, restartable.url);
      assert.deepEqual(firstEvent, ['before']);

      await restartable.stop();
      const config = testConfig();
      config.listeners[0]!.endpoint.port = port;
      restartable = await startTestNode(config);

      const outcome = await page.evaluate(async (url) => {
        const bundlePath = '/junction-client.min.js';
        const client = await import(bundlePath);
        const state = (globalThis as unknown as { restartTest: PageState }).restartTest;
        const within = (promise: Promise<unknown>, what: string) => Promise.race([
          promise,
          new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 10_000)),
        ]);
        await within(state.restored, 'the restored status');
        const arrived = new Promise<void>((resolve) => (state.eventArrived = resolve));
        const other = await client.connect({ url, realm: 'realm1', reconnect: false });
        await other.publish('browser.restart', ['after'], undefined, { acknowledge: true });
        await other.leave();
        await within(arrived, 'the event after the restart');
        const sessionState = state.session.state;
        await state.session.leave();
        return { events: state.events, statuses: state.statuses, sessionState };
      }, restartable.url);
      assert.deepEqual(outcome.events, ['before', 'after']);
      assert.equal(outcome.statuses[0], 'closed');
      assert.ok(outcome.statuses.includes('retrying') && outcome.statuses.includes('open'), outcome.statuses.join(' '));
      assert.equal(outcome.statuses.at(-1), 'restored');
      assert.equal(outcome.sessionState, 'open');
    } finally {
      await restartable.stop();
    }
  });
});
