import assert from 'node:assert/strict';
import autobahn from 'autobahn';
import { RawClient } from './raw-client.js';

/**
 * Cookie authentication seen from a browser, for the tests that run it across processes: a
 * router whose realm "shop" has joe (wampcra, secret 123456) and cookie sign-in on /ws, raw
 * connections that bring a cookie, and a HELLO that asks for the cookie first.
 */

/** One router worker with /ws (the cookie block `cookie`, wampcra and cookie) and `paths` beside it; `extra` goes into the worker (a cluster block). */
export function cookieRouterConfig(cookie: object, paths: Record<string, object> = {}, extra: object = {}): object {
  return {
    version: 2,
    workers: [{
      type: 'router',
      realms: [{ name: 'shop', roles: [{ name: 'customer', permissions: [{ uri: 'shop.', match: 'prefix', allow: { call: true } }] }] }],
      transports: [{
        type: 'web',
        endpoint: { type: 'tcp', port: 0, interface: '127.0.0.1' },
        paths: {
          ws: { type: 'websocket', cookie, auth: { wampcra: { type: 'static', users: { joe: { secret: '123456', role: 'customer' } } }, cookie: {} } },
          ...paths,
        },
      }],
      ...extra,
    }],
  };
}

/** A raw connection to `url`, bringing `cookie` ("cbtid=..."): it, and the Set-Cookie of its upgrade. */
export async function connectWithCookie(url: string, cookie?: string): Promise<{ client: RawClient; setCookie: string | undefined }> {
  const client = await RawClient.open(url, ['wamp.2.json'], cookie === undefined ? {} : { headers: { Cookie: cookie } });
  return { client, setCookie: client.upgradeHeaders['set-cookie']?.[0] };
}

/** HELLO asking for cookie then wampcra as joe; answers a challenge. Resolves with WELCOME.Details. */
export async function signInAsJoe(client: RawClient): Promise<Record<string, unknown>> {
  client.send([1, 'shop', { roles: { caller: {} }, authmethods: ['cookie', 'wampcra'], authid: 'joe' }]);
  let message = await client.next();
  if (message[0] === 4) {
    client.send([5, autobahn.auth_cra.sign('123456', (message[2] as { challenge: string }).challenge), {}]);
    message = await client.next();
  }
  assert.equal(message[0], 2, `expected WELCOME, got ${JSON.stringify(message)}`);
  return message[2] as Record<string, unknown>;
}

/** A cookie bound to joe: signed in with wampcra on a first connection to `url`, then closed. */
export async function boundCookie(url: string): Promise<string> {
  const first = await connectWithCookie(url);
  assert.equal((await signInAsJoe(first.client)).authprovider, 'static');
  first.client.close();
  return first.setCookie!.split(';')[0]!;
}
