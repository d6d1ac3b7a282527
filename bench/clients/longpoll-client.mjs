import { Pool } from 'undici';
import { WampSession } from './wamp-session.mjs';
import { codecNamed } from '../lib/codecs.mjs';

/**
 * A WAMP session (wamp-session.mjs) over HTTP long-poll, the WAMP spec's protocol as Crossbar
 * serves it, with batched JSON ("wamp.2.json.batched": each message followed by 0x1e):
 *
 *   POST <url>/open {"protocols": [...]}  -> {"transport": id, "protocol": ...}
 *   POST <url>/<id>/send     a batch of messages -> 204
 *   POST <url>/<id>/receive  held until messages wait -> 200 with a batch (204 after request_timeout)
 *   POST <url>/<id>/close
 *
 * One receive is always outstanding. drop() abandons the transport: no more requests, no close
 * (the router ends it after its session_timeout), as a page that went away. Sends go one POST at a time, and whatever was queued
 * meanwhile leaves as one batch, so messages reach the router in order. All sessions of a
 * process share one undici Pool per origin (keep-alive, no pipelining).
 */

const PROTOCOL = 'wamp.2.json.batched';
const SEPARATOR = 0x1e;
const MAX_CONNECTIONS = 4096; // a held receive and a send per session; the workers hold at most ~1,000
const REQUEST_TIMEOUT_MS = 30_000;
const pools = new Map(); // origin -> Pool

function poolFor(origin) {
  let pool = pools.get(origin);
  if (!pool) {
    pool = new Pool(origin, { connections: MAX_CONNECTIONS, pipelining: 1, headersTimeout: REQUEST_TIMEOUT_MS, bodyTimeout: REQUEST_TIMEOUT_MS });
    pools.set(origin, pool);
  }
  return pool;
}

async function post(pool, path, body) {
  const { statusCode, body: answer } = await pool.request({ method: 'POST', path, body, headers: { 'content-type': 'application/json' } });
  return { status: statusCode, bytes: Buffer.from(await answer.arrayBuffer()) };
}

export async function connectWampLongPoll({ url, realm = 'realm1', serializer = 'json' }) {
  if (serializer !== 'json') throw new Error(`the long-poll bench client speaks batched JSON only, not ${serializer}`);
  const codec = codecNamed('json');
  const { origin, pathname } = new URL(url);
  const pool = poolFor(origin);
  const opened = await post(pool, `${pathname}/open`, JSON.stringify({ protocols: [PROTOCOL] }));
  if (opened.status !== 200) throw new Error(`long-poll open answered ${opened.status}: ${opened.bytes.toString().slice(0, 300)}`);
  const base = `${pathname}/${JSON.parse(opened.bytes.toString()).transport}`;

  let open = true;
  let queue = []; // encoded messages waiting for the next send
  let flushing = null; // the send loop, while one runs
  let session = null;
  const fail = (why) => {
    if (!open) return;
    open = false;
    session.linkClosed(why);
  };
  async function flush() {
    while (queue.length > 0 && open) {
      const batch = queue.map((text) => `${text}\x1e`).join('');
      queue = [];
      try {
        const sent = await post(pool, `${base}/send`, batch);
        if (sent.status !== 204 && sent.status !== 200) fail(`send answered ${sent.status}`);
      } catch (error) {
        fail(`send failed: ${error.message}`);
      }
    }
  }
  async function receiveLoop() {
    while (open) {
      let answer;
      try {
        answer = await post(pool, `${base}/receive`, '');
      } catch (error) {
        return fail(`receive failed: ${error.message}`);
      }
      if (answer.status === 204) continue;
      if (answer.status !== 200) return fail(`receive answered ${answer.status}`);
      let start = 0;
      for (let i = 0; i < answer.bytes.length; i++) {
        if (answer.bytes[i] !== SEPARATOR) continue;
        session.receive(codec.decode(answer.bytes.subarray(start, i)));
        start = i + 1;
      }
    }
  }
  function kick() {
    flushing ??= flush().finally(() => {
      flushing = null;
      // A message queued after the loop's last look at the queue, before this ran.
      if (queue.length > 0 && open) kick();
    });
  }
  const link = {
    send: (encoded) => {
      queue.push(encoded);
      kick();
    },
    close: () => {
      if (!open) return;
      // After what is queued (the GOODBYE), tell the router; the receive loop then ends.
      void (flushing ?? Promise.resolve()).then(() => post(pool, `${base}/close`, '')).catch(() => {}).finally(() => fail('closed by the client'));
    },
    drop: () => fail('abandoned by the client'),
    isOpen: () => open,
  };
  session = new WampSession(link, codec);
  void receiveLoop();
  return session.join(realm);
}
