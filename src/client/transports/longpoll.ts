/**
 * WAMP over HTTP long-poll, the client side of src/transport/longpoll/ (and of Crossbar's
 * long-poll service): POST <url>/open {"protocols": [...]} -> {"transport": id, "protocol": p};
 * POST <url>/<id>/send with one message; POST <url>/<id>/receive, held by the router until a
 * message comes (200) or its request_timeout passes (204: poll again); POST <url>/<id>/close.
 * Only the unbatched protocols are offered ("wamp.2.json"...): one message per request.
 *
 * Requests carry no Content-Type of our choosing (a string body goes as text/plain, bytes with
 * none), so a page on another origin makes "simple" CORS requests and no preflight per URL: the
 * router knows the protocol from the transport, not from headers.
 *
 * This module imports no client code at run time: the browser bundles load it on demand as a
 * chunk of its own, and a shared import would move code out of the entry into a second chunk
 * loaded up front (which the JSON-only bundle's size budget cannot afford). Its failures are
 * therefore plain Errors; connect() passes them on as TransportErrors.
 */
import type { Frame, Transport, TransportFactory, TransportHandlers } from '../transport.js';

export interface LongPollOptions {
  /**
   * Milliseconds one HTTP request may take, held receives included; past it the transport is
   * given up. It must exceed the router's request_timeout (Crossbar's default: 10 s).
   */
  requestTimeout?: number;
  /** The fetch to use: the platform's (Node >= 18, browsers) by default. */
  fetch?: typeof fetch;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** Messages waiting for their turn to be sent. More means the router cannot keep up: the transport is given up. */
export const MAX_QUEUED_SENDS = 1_000;
/** The router's ids are base64url; anything else must not be spliced into our URLs. */
const TRANSPORT_ID = /^[A-Za-z0-9_-]{1,128}$/;
/** Characters of an error answer's text quoted in our error messages. */
const QUOTED_CHARS = 200;

interface Answer {
  status: number;
  /** Text, or bytes when asked for and the answer is a 200. */
  body: string | Uint8Array;
}

/** One POST that is aborted after `timeoutMs`, or earlier through `abort`. Rejects with an Error. */
async function post(
  fetchImpl: typeof fetch,
  url: string,
  timeoutMs: number,
  body?: Frame,
  binary = false,
  abort = new AbortController(),
): Promise<Answer> {
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    abort.abort();
  }, timeoutMs);
  try {
    // The timer stays armed until the body is read: a router that stalls mid-body is given up too.
    const response = await fetchImpl(url, { method: 'POST', body: body as BodyInit | undefined, signal: abort.signal, cache: 'no-store' });
    const content = binary && response.status === 200 ? new Uint8Array(await response.arrayBuffer()) : await response.text();
    return { status: response.status, body: content };
  } catch (error) {
    throw new Error(`POST ${url} failed: ${timedOut ? `no answer within ${timeoutMs} ms` : describe(error)}`);
  } finally {
    clearTimeout(timer);
  }
}

function describe(error: unknown): string {
  const { message, cause } = error as { message?: string; cause?: { message?: string } };
  // Node's fetch says "fetch failed" and keeps the reason (ECONNREFUSED...) in `cause`.
  return [message, cause?.message].filter(Boolean).join(': ') || String(error);
}

/** "answered 404: no such long-poll transport..." from the router's {error, message} or any text. */
function refusal(answer: Answer): string {
  const text = typeof answer.body === 'string' ? answer.body : '';
  let said = text;
  try {
    said = (JSON.parse(text) as { message?: unknown }).message as string;
  } catch {
    // Not the router's JSON (a proxy's page, say): quote the text.
  }
  said = typeof said === 'string' ? said.trim().slice(0, QUOTED_CHARS) : '';
  return `answered ${answer.status}${said ? `: ${said}` : ''}`;
}

/** A long-poll transport factory; `url` is the base URL of the router's long-poll path. */
export function longPollTransport(options: LongPollOptions = {}): TransportFactory {
  const timeoutMs = options.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT_MS;
  if (!(timeoutMs > 0)) throw new RangeError(`long-poll requestTimeout must be a positive number of ms, got ${timeoutMs}`);
  return async (url, protocols, handlers) => {
    const fetchImpl = options.fetch ?? globalThis.fetch;
    if (typeof fetchImpl !== 'function') throw new Error('long-poll needs fetch(), which this environment lacks');
    const base = url.replace(/\/+$/, '');
    const answer = await post(fetchImpl, `${base}/open`, timeoutMs, JSON.stringify({ protocols }));
    if (answer.status !== 200) throw new Error(`cannot open a long-poll transport at ${url}: ${refusal(answer)}`);
    let opened: { transport?: unknown; protocol?: unknown };
    try {
      opened = JSON.parse(answer.body as string) as typeof opened;
    } catch {
      throw new Error(`cannot open a long-poll transport at ${url}: the answer is not JSON`);
    }
    const { transport: id, protocol } = opened ?? {};
    if (typeof id !== 'string' || !TRANSPORT_ID.test(id) || typeof protocol !== 'string' || !protocols.includes(protocol)) {
      throw new Error(`cannot open a long-poll transport at ${url}: unexpected answer ${JSON.stringify(opened).slice(0, QUOTED_CHARS)}`);
    }
    return new LongPollConnection(fetchImpl, `${base}/${id}`, timeoutMs, protocol, handlers);
  };
}

/**
 * One open long-poll transport. One receive is held at a time; sends go out one after another
 * (the next waits for the previous answer), so messages never overtake each other on the way.
 * close() ends the held receive at once, lets queued sends finish (an ABORT or GOODBYE may be
 * among them), then tells the router (`close`). A failed request ends the transport.
 */
class LongPollConnection implements Transport {
  #state: 'open' | 'closing' | 'closed' = 'open';
  readonly #queue: Frame[] = [];
  #sending = false;
  /** Aborts the receive in flight. */
  #receiving: AbortController | undefined;
  #closeCode = 1000;
  #closeReason = '';
  readonly #binary: boolean;

  constructor(
    private readonly fetchImpl: typeof fetch,
    private readonly url: string,
    private readonly timeoutMs: number,
    readonly protocol: string,
    private readonly handlers: TransportHandlers,
  ) {
    this.#binary = !protocol.startsWith('wamp.2.json');
    void this.#poll();
  }

  send(frame: Frame): void {
    if (this.#state !== 'open') return;
    if (this.#queue.length >= MAX_QUEUED_SENDS) {
      this.#fail(`more than ${MAX_QUEUED_SENDS} messages waited to be sent`);
      return;
    }
    this.#queue.push(frame);
    if (!this.#sending) void this.#drain();
  }

  close(code = 1000, reason = ''): void {
    if (this.#state !== 'open') return;
    this.#state = 'closing';
    this.#closeCode = code;
    this.#closeReason = reason;
    this.#receiving?.abort();
    if (!this.#sending) void this.#finish();
  }

  #post(operation: 'send' | 'receive' | 'close', body?: Frame, abort?: AbortController): Promise<Answer> {
    return post(this.fetchImpl, `${this.url}/${operation}`, this.timeoutMs, body, this.#binary && operation === 'receive', abort);
  }

  async #poll(): Promise<void> {
    while (this.#state === 'open') {
      const abort = new AbortController();
      this.#receiving = abort;
      let answer: Answer;
      try {
        answer = await this.#post('receive', undefined, abort);
      } catch (error) {
        // Aborted by close(): the queued sends still go out; anything else ends the transport.
        if (this.#state === 'open') this.#fail((error as Error).message);
        return;
      }
      // Closing: the session already has what it waited for (the router's GOODBYE).
      if (this.#state !== 'open') return;
      if (answer.status === 204) continue;
      if (answer.status !== 200) {
        this.#fail(`long-poll receive ${refusal(answer)}`);
        return;
      }
      this.handlers.message(answer.body);
    }
  }

  async #drain(): Promise<void> {
    this.#sending = true;
    while (this.#queue.length > 0 && this.#state !== 'closed') {
      let answer: Answer;
      try {
        answer = await this.#post('send', this.#queue.shift());
      } catch (error) {
        answer = { status: 0, body: (error as Error).message };
      }
      if (answer.status < 200 || answer.status > 299) {
        this.#sending = false;
        this.#fail(answer.status === 0 ? (answer.body as string) : `long-poll send ${refusal(answer)}`);
        return;
      }
    }
    this.#sending = false;
    if (this.#state === 'closing') void this.#finish();
  }

  /** The app's close, once the queued sends are out: the router forgets the transport, then the owner hears of it. */
  async #finish(): Promise<void> {
    this.#state = 'closed';
    await this.#forget();
    this.handlers.close(this.#closeCode, this.#closeReason);
  }

  /** A request failed: the transport is over at once (the owner hears now), and the router is told if it can be. */
  #fail(reason: string): void {
    if (this.#state === 'closed') return;
    const closing = this.#state === 'closing';
    this.#state = 'closed';
    this.#queue.length = 0;
    this.#receiving?.abort();
    // 1006, a WebSocket's "closed abnormally"; the app's own close keeps its code.
    if (closing) this.handlers.close(this.#closeCode, this.#closeReason);
    else this.handlers.close(1006, reason);
    void this.#forget();
  }

  async #forget(): Promise<void> {
    try {
      await this.#post('close');
    } catch {
      // The router forgets an idle transport after its session_timeout anyway.
    }
  }
}
