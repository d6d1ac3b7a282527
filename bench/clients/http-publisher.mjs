import { Pool } from 'undici';

/**
 * Publishes through Junction's HTTP publisher (the `publisher` path service, Crossbar's format):
 * POST <url> {"topic": ..., "args": [...]} as application/json, answered 200 {"id": <publication>}
 * once the router has accepted the publication. An undici Pool keeps `connections` keep-alive
 * connections with up to `pipelining` requests in flight on each (HTTP/1.1 pipelining when more
 * than 1), so the number of concurrent POSTs is what the caller keeps outstanding, at most
 * `connections` x `pipelining`.
 *
 * Surface of the bench clients (clients/index.mjs): publish(topic, args) resolving to the
 * publication id; anything else is refused.
 */

const REQUEST_TIMEOUT_MS = 15_000;

/**
 * The bench's HTTP publisher target for `url`: --window POSTs in flight, --http-pipelining of them
 * on each connection (options.httpPipelining; 1 when not given), as few connections as that takes.
 */
export function httpPublisherTarget(url, options) {
  const pipelining = Math.min(options.httpPipelining ?? 1, options.window);
  return { kind: 'http-publisher', url, connections: Math.ceil(options.window / pipelining), pipelining };
}

/** How the HTTP publisher's POSTs travel, for a table's title: "16 connections x 1 POST in flight". */
export function describeHttpLoad(options) {
  const { connections, pipelining } = httpPublisherTarget('http://unused.invalid/', options);
  return `${connections} keep-alive connection${connections > 1 ? 's' : ''} x ${pipelining} POST${pipelining > 1 ? 's (pipelined)' : ''} in flight`;
}

export function connectHttpPublisher({ url, connections = 16, pipelining = 1 }) {
  const { origin, pathname } = new URL(url);
  const pool = new Pool(origin, {
    connections,
    pipelining,
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
