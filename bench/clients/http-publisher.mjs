import { Pool } from 'undici';

/**
 * Publishes through Junction's HTTP publisher (the `publisher` path service, Crossbar's format):
 * POST <url> {"topic": ..., "args": [...]} as application/json, answered 200 {"id": <publication>}
 * once the router has accepted the publication. An undici Pool keeps `connections` keep-alive
 * connections, one request in flight on each (no pipelining), so the number of concurrent POSTs
 * is what the caller keeps outstanding, at most `connections`.
 *
 * Surface of the bench clients (clients/index.mjs): publish(topic, args) resolving to the
 * publication id; anything else is refused.
 */

const REQUEST_TIMEOUT_MS = 15_000;

export function connectHttpPublisher({ url, connections = 16 }) {
  const { origin, pathname } = new URL(url);
  const pool = new Pool(origin, {
    connections,
    pipelining: 1,
    headersTimeout: REQUEST_TIMEOUT_MS,
    bodyTimeout: REQUEST_TIMEOUT_MS,
    keepAliveTimeout: 60_000,
  });
  return Promise.resolve(new HttpPublisher(pool, pathname));
}

class HttpPublisher {
  constructor(pool, path) {
    this.pool = pool;
    this.path = path;
    this.isClosed = false;
  }

  async publish(topic, args) {
    const { statusCode, body } = await this.pool.request({
      method: 'POST',
      path: this.path,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ topic, args }),
    });
    const text = await body.text();
    if (statusCode !== 200) throw new Error(`HTTP publish answered ${statusCode}: ${text.slice(0, 300)}`);
    return JSON.parse(text).id;
  }

  subscribe() {
    throw new Error('the HTTP publisher cannot subscribe');
  }

  register() {
    throw new Error('the HTTP publisher cannot register');
  }

  call() {
    throw new Error('the HTTP publisher cannot call');
  }

  get closed() {
    return this.isClosed || this.pool.closed || this.pool.destroyed;
  }

  close() {
    if (this.isClosed) return;
    this.isClosed = true;
    this.pool.destroy().catch(() => {});
  }
}
