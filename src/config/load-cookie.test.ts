import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configDocument, loadDocument, problemsOf, webDocument, websocketAt } from './test-support.js';

/** A web transport whose /ws path has this cookie block and auth (ticket beside cookie unless given). */
function cookiePath(cookie: unknown, extra: Record<string, unknown> = {}) {
  return webDocument({
    ws: { type: 'websocket', cookie, auth: { ticket: { type: 'static', principals: { joe: { ticket: 't', role: 'backend' } } }, cookie: {} }, ...extra },
  });
}

describe('cookie authentication in the config', () => {
  it('reads every key; a file store lives at <filename>.lmdb beside the config; listed origins need no notice', () => {
    const config = loadDocument(cookiePath(
      { name: 'sid', length: 32, max_age: 3600, store: { type: 'file', filename: 'cookies.dat' }, secure: true, same_site: 'Strict', max_entries: 500 },
      { options: { allowed_origins: ['https://app.example.com'] } },
    ));
    assert.deepEqual(websocketAt(config.listeners[0], '/ws').cookieAuth, {
      name: 'sid', length: 32, maxAgeSeconds: 3600, store: { type: 'file', path: '/srv/junction/cookies.dat.lmdb', crossbarFile: '/srv/junction/cookies.dat' }, maxEntries: 500, maxEntriesPerAuthid: 100, sameSite: 'Strict', alwaysSecure: true,
    });
    assert.deepEqual(config.notices, []);
  });

  it('a length under 22 characters is raised to 22 with a notice; http_strict false has a notice (HttpOnly stays)', () => {
    const config = loadDocument(cookiePath({ length: 6, http_strict: false }, { options: { allowed_origins: ['https://app.example.com'] } }));
    assert.equal(websocketAt(config.listeners[0], '/ws').cookieAuth?.length, 22);
    assert.deepEqual(config.notices.map((line) => line.replace(/ \[.*$/, '')), [
      "workers[0].transports[0].paths.ws.cookie.length: 6 characters would be under 128 bits of randomness; Junction's cookies have 22",
      'workers[0].transports[0].paths.ws.cookie.http_strict: Junction always marks the cookie HttpOnly: page scripts never read it',
    ]);
  });

  it('refuses what would be looser or unknown: SameSite None, the database store, a bad name, ranges as Crossbar', () => {
    assert.deepEqual(problemsOf(cookiePath({ same_site: 'None', store: { type: 'redis' }, name: 'Bad-Name', max_age: 0, length: 65 })), [
      'workers[0].transports[0].paths.ws.cookie.name: a cookie name must match ^[a-z][a-z0-9_]+$ (as in Crossbar)',
      'workers[0].transports[0].paths.ws.cookie.length: length must be between 6 and 64 (as in Crossbar)',
      'workers[0].transports[0].paths.ws.cookie.max_age: max_age must be between 1 second and 10 years (as in Crossbar)',
      'workers[0].transports[0].paths.ws.cookie.store.type: unknown cookie store type "redis" (expected "memory" or "file" or "database")',
      'workers[0].transports[0].paths.ws.cookie.same_site: same_site must be "Lax" or "Strict": Junction does not send a sign-in cookie to other sites\' pages (None)',
    ]);
  });

  it('Crossbar\'s database store is Junction\'s lmdb store at <path>.lmdb beside the config, with a notice: Crossbar\'s zLMDB database is neither read nor written', () => {
    const config = loadDocument(cookiePath(
      { store: { type: 'database', path: '.cookies', maxsize: 1048576, readonly: false, sync: true, purge_on_startup: false } },
      { options: { allowed_origins: ['https://app.example.com'] } },
    ));
    assert.deepEqual(websocketAt(config.listeners[0], '/ws').cookieAuth?.store, { type: 'file', path: '/srv/junction/.cookies.lmdb' });
    assert.deepEqual(config.notices.map((line) => line.replace(/ \[.*$/, '')), [
      'workers[0].transports[0].paths.ws.cookie.store: Junction keeps the cookies of Crossbar\'s "database" store in its own lmdb store at /srv/junction/.cookies.lmdb; Crossbar\'s database at /srv/junction/.cookies is neither read nor changed (browsers bound there sign in with their other methods once); maxsize, sync and purge_on_startup are not used',
    ]);
  });

  it('the database store: path is required, readonly true is refused, maxsize as Crossbar checks it', () => {
    assert.deepEqual(problemsOf(cookiePath({ store: { type: 'database', readonly: true, maxsize: 1024 } })), [
      'workers[0].transports[0].paths.ws.cookie.store.path: missing (expected string)',
      'workers[0].transports[0].paths.ws.cookie.store.maxsize: maxsize must be between 131072 (128 KiB) and 137438953472 (128 GiB) bytes (as in Crossbar)',
      'workers[0].transports[0].paths.ws.cookie.store.readonly: a read-only cookie store would never bind a cookie: Junction does not offer it (remove readonly, or set it to false)',
    ]);
  });

  it('auth.cookie needs another method, and is offered on WebSockets only', () => {
    assert.deepEqual(problemsOf(webDocument({ ws: { type: 'websocket', cookie: {}, auth: { cookie: {} } } })), [
      'workers[0].transports[0].paths.ws.auth: enables no authentication method, so no client could join; add anonymous, ticket, wampcra, cryptosign, scram or tls',
    ]);
    assert.deepEqual(problemsOf(configDocument({ transports: [{ type: 'rawsocket', endpoint: { type: 'tcp', port: 0 }, auth: { anonymous: { type: 'static' }, cookie: {} } }] })), [
      "workers[0].transports[0].auth.cookie: cookie authentication needs a browser's cookie: it is offered on WebSocket transports and paths only",
    ]);
  });
});
