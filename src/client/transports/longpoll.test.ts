import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Frame, TransportHandlers } from '../transport.js';
import { longPollTransport, MAX_QUEUED_SENDS } from './longpoll.js';

/** One request the transport made, waiting for the test to answer it. */
interface PendingRequest {
  url: string;
  operation: string;
  body: unknown;
  signal: AbortSignal;
  answer(status: number, body?: string | Uint8Array): void;
}

/**
 * A scripted fetch: each request waits until the test answers it; an abort rejects it as the
 * platform's fetch does. `inFlight` counts requests neither answered nor aborted.
 */
class FakeHttp {
  readonly issued: PendingRequest[] = [];
  inFlight = 0;
  #waiters: (() => void)[] = [];

  readonly fetch = ((input: string | URL | Request, init: RequestInit = {}) =>
    new Promise<Response>((resolve, reject) => {
      const url = String(input);
      let settled = false;
      const settle = (): boolean => {
        if (settled) return false;
        settled = true;
        this.inFlight--;
        return true;
      };
      const signal = init.signal!;
      signal.addEventListener('abort', () => settle() && reject(new DOMException('This operation was aborted', 'AbortError')));
      this.inFlight++;
      this.issued.push({
        url,
        operation: url.slice(url.lastIndexOf('/') + 1),
        body: init.body,
        signal,
        answer: (status, body) => settle() && resolve(new Response(status === 204 ? null : (body as BodyInit | undefined), { status })),
      });
      for (const wake of this.#waiters.splice(0)) wake();
    })) as typeof fetch;

  /** The next request of `operation` not yet taken, once it is made. */
  async next(operation: string): Promise<PendingRequest> {
    for (;;) {
      const index = this.issued.findIndex((request) => request.operation === operation);
      if (index >= 0) return this.issued.splice(index, 1)[0]!;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  pending(operation: string): number {
    return this.issued.filter((request) => request.operation === operation && !request.signal.aborted).length;
  }
}

/** Handlers that record what the transport reports. */
function recorder(): TransportHandlers & { messages: Frame[]; closes: [number, string][]; closed: Promise<[number, string]> } {
  const messages: Frame[] = [];
  const closes: [number, string][] = [];
  let report!: (close: [number, string]) => void;
  const closed = new Promise<[number, string]>((resolve) => (report = resolve));
  return {
    messages,
    closes,
    closed,
    message: (frame) => messages.push(frame),
    close: (code, reason) => {
      closes.push([code, reason]);
      report([code, reason]);
    },
  };
}

/** Opens a transport at http://router/lp whose open the fake answers with transport "t1". */
async function open(protocol = 'wamp.2.json', options: { requestTimeout?: number } = {}) {
  const http = new FakeHttp();
  const handlers = recorder();
  const opening = longPollTransport({ fetch: http.fetch, ...options })('http://router/lp/', ['wamp.2.json', 'wamp.2.msgpack'], handlers);
  const request = await http.next('open');
  assert.equal(request.url, 'http://router/lp/open');
  assert.deepEqual(JSON.parse(request.body as string), { protocols: ['wamp.2.json', 'wamp.2.msgpack'] });
  request.answer(200, JSON.stringify({ transport: 't1', protocol }));
  return { http, handlers, transport: await opening };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('client long-poll transport', () => {
  it('opens with the offered protocols, holds a receive, delivers JSON as text and polls again after a 204', async () => {
    const { http, handlers, transport } = await open();
    assert.equal(transport.protocol, 'wamp.2.json');
    const first = await http.next('receive');
    assert.equal(first.url, 'http://router/lp/t1/receive');
    first.answer(204);
    const second = await http.next('receive');
    second.answer(200, '[2,7,{}]');
    await http.next('receive');
    assert.deepEqual(handlers.messages, ['[2,7,{}]']);
    transport.close();
  });

  it('delivers binary protocols as bytes', async () => {
    const { http, handlers, transport } = await open('wamp.2.msgpack');
    (await http.next('receive')).answer(200, Uint8Array.of(0x93, 2, 7, 0x80));
    await http.next('receive');
    assert.equal(handlers.messages.length, 1);
    assert.ok(handlers.messages[0] instanceof Uint8Array);
    assert.deepEqual([...(handlers.messages[0] as Uint8Array)], [0x93, 2, 7, 0x80]);
    transport.close();
  });

  it('sends one message at a time, in order: the next waits for the previous answer', async () => {
    const { http, transport } = await open();
    transport.send('[1]');
    transport.send('[2]');
    transport.send('[3]');
    const bodies: unknown[] = [];
    for (let n = 1; n <= 3; n++) {
      const send = await http.next('send');
      await tick();
      assert.equal(http.pending('send'), 0, 'no second send while one is in flight');
      bodies.push(send.body);
      send.answer(204);
    }
    assert.deepEqual(bodies, ['[1]', '[2]', '[3]']);
    transport.close();
  });

  it('close ends the held receive at once, lets queued sends finish, then closes the transport on the router', async () => {
    const { http, handlers, transport } = await open();
    const receive = await http.next('receive');
    transport.send('[6,{},"wamp.close.close_realm"]');
    const send = await http.next('send');
    transport.send('[3,{},"wamp.error.protocol_violation"]');
    transport.close(1000, 'bye');
    assert.equal(receive.signal.aborted, true);
    transport.send('[16,1,{},"too.late"]'); // ignored: closing
    send.answer(204);
    const last = await http.next('send');
    assert.equal(last.body, '[3,{},"wamp.error.protocol_violation"]');
    await tick();
    assert.equal(http.pending('close'), 0, 'close waits for the queued sends');
    last.answer(204);
    const close = await http.next('close');
    assert.equal(close.url, 'http://router/lp/t1/close');
    assert.deepEqual(handlers.closes, []);
    close.answer(204);
    assert.deepEqual(await handlers.closed, [1000, 'bye']);
    assert.equal(http.inFlight, 0, 'no request left hanging');
    assert.equal(http.pending('send') + http.pending('receive'), 0);
  });

  it('ends the transport when a receive is refused (410), and tells the router', async () => {
    const { http, handlers } = await open();
    (await http.next('receive')).answer(410, JSON.stringify({ error: 'transport_closed', message: 'the transport is closed: slow consumer' }));
    const [code, reason] = await handlers.closed;
    assert.equal(code, 1006);
    assert.match(reason, /receive answered 410: the transport is closed: slow consumer/);
    (await http.next('close')).answer(204);
    assert.equal(http.inFlight, 0);
  });

  it('ends the transport when a send is refused, dropping what was queued', async () => {
    const { http, handlers, transport } = await open();
    transport.send('not json');
    transport.send('[1]');
    (await http.next('send')).answer(400, JSON.stringify({ error: 'bad_message', message: 'could not decode the body' }));
    assert.match((await handlers.closed)[1], /send answered 400: could not decode the body/);
    (await http.next('close')).answer(204);
    assert.equal(http.pending('send'), 0);
    assert.equal(handlers.closes.length, 1);
  });

  it('gives a request up after requestTimeout', async () => {
    const { http, handlers } = await open('wamp.2.json', { requestTimeout: 20 });
    const receive = await http.next('receive');
    const [code, reason] = await handlers.closed;
    assert.equal(code, 1006);
    assert.match(reason, /POST http:\/\/router\/lp\/t1\/receive failed: no answer within 20 ms/);
    assert.equal(receive.signal.aborted, true);
  });

  it(`ends the transport when more than ${MAX_QUEUED_SENDS} messages wait to be sent`, async () => {
    const { http, handlers, transport } = await open();
    transport.send('[0]');
    await http.next('send'); // never answered: the queue only grows
    for (let n = 1; n <= MAX_QUEUED_SENDS + 1; n++) transport.send(`[${n}]`);
    assert.match((await handlers.closed)[1], new RegExp(`more than ${MAX_QUEUED_SENDS} messages waited to be sent`));
  });

  describe('open failures', () => {
    const attempt = async (answer: (request: PendingRequest) => void): Promise<Error> => {
      const http = new FakeHttp();
      const opening = longPollTransport({ fetch: http.fetch })('http://router/lp', ['wamp.2.json'], recorder());
      answer(await http.next('open'));
      return opening.then(() => assert.fail('opened'), (error: Error) => error);
    };

    it("quotes the router's refusal", async () => {
      const error = await attempt((request) => request.answer(404, JSON.stringify({ error: 'not_found', message: 'nothing is served at /lp/open' })));
      assert.equal(error.message, 'cannot open a long-poll transport at http://router/lp: answered 404: nothing is served at /lp/open');
    });

    it("quotes a proxy's text, shortened", async () => {
      const error = await attempt((request) => request.answer(502, `Bad Gateway ${'x'.repeat(500)}`));
      assert.match(error.message, /answered 502: Bad Gateway x+$/);
      assert.ok(error.message.length < 300);
    });

    it('refuses an answer that is not JSON, an id that is not URL-safe, and a protocol it did not offer', async () => {
      assert.match((await attempt((request) => request.answer(200, '<html>'))).message, /the answer is not JSON/);
      assert.match((await attempt((request) => request.answer(200, '{"transport": "../x", "protocol": "wamp.2.json"}'))).message, /unexpected answer/);
      assert.match((await attempt((request) => request.answer(200, '{"transport": "t1", "protocol": "wamp.2.json.batched"}'))).message, /unexpected answer/);
      assert.match((await attempt((request) => request.answer(200, 'null'))).message, /unexpected answer null/);
    });

    it('says why the network failed (Node keeps it in the cause)', async () => {
      const failing = (() => Promise.reject(new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:1') }))) as typeof fetch;
      await assert.rejects(longPollTransport({ fetch: failing })('http://127.0.0.1:1/lp', ['wamp.2.json'], recorder()), {
        message: 'POST http://127.0.0.1:1/lp/open failed: fetch failed: connect ECONNREFUSED 127.0.0.1:1',
      });
    });

    it('refuses a requestTimeout that is not a positive number', () => {
      assert.throws(() => longPollTransport({ requestTimeout: 0 }), RangeError);
      assert.throws(() => longPollTransport({ requestTimeout: Number.NaN }), RangeError);
    });
  });
});
