import type { Codec } from '../../../../src/codec/index.js';
import { WireConnection } from '../wire.js';

/**
 * WAMP over HTTP long-poll from Node's fetch, written from the protocol description (not from
 * Junction's own framing code), so the tests check the server against an independent client.
 */

export interface HttpAnswer {
  status: number;
  headers: Headers;
  body: Buffer;
}

/** One POST; the whole answer is read. */
export async function post(url: string, body?: Uint8Array | string, init: RequestInit = {}): Promise<HttpAnswer> {
  // Node's Buffer is a Uint8Array that the DOM typings of fetch do not list; fetch accepts it.
  const response = await fetch(url, { method: 'POST', body: body as BodyInit | undefined, ...init });
  return { status: response.status, headers: response.headers, body: Buffer.from(await response.arrayBuffer()) };
}

/** POST <base>/open; the parsed answer when it is 200, else an error with the answer's text. */
export async function openTransport(base: string, protocols: string[]): Promise<{ transport: string; protocol: string }> {
  const answer = await post(`${base}/open`, JSON.stringify({ protocols }), { headers: { 'content-type': 'application/json' } });
  if (answer.status !== 200) throw new Error(`open answered ${answer.status}: ${answer.body.toString()}`);
  return JSON.parse(answer.body.toString()) as { transport: string; protocol: string };
}

/** The body of a send: one message, or a batch of them (JSON + 0x1e each, or a 4-byte length before each). */
export function encodeBody(codec: Codec, batched: boolean, messages: unknown[][]): Buffer {
  const frames = messages.map((message) => {
    const encoded = codec.encode(message);
    return typeof encoded === 'string' ? Buffer.from(encoded, 'utf8') : Buffer.from(encoded);
  });
  if (!batched) {
    if (frames.length !== 1) throw new Error('an unbatched body holds exactly one message');
    return frames[0]!;
  }
  return Buffer.concat(frames.flatMap((frame) => {
    if (!codec.binary) return [frame, Buffer.of(0x1e)];
    const length = Buffer.alloc(4);
    length.writeUInt32BE(frame.length);
    return [length, frame];
  }));
}

/** The messages of a receive answer. */
export function decodeBody(codec: Codec, batched: boolean, body: Buffer): unknown[][] {
  if (!batched) return [codec.decode(codec.binary ? body : body.toString('utf8')) as unknown[]];
  const messages: unknown[][] = [];
  if (!codec.binary) {
    const text = body.toString('utf8');
    if (!text.endsWith('\u001e')) throw new Error(`a JSON batch must end with 0x1e: ${JSON.stringify(text.slice(-20))}`);
    for (const part of text.slice(0, -1).split('\u001e')) messages.push(codec.decode(part) as unknown[]);
    return messages;
  }
  for (let offset = 0; offset < body.length;) {
    const length = body.readUInt32BE(offset);
    messages.push(codec.decode(body.subarray(offset + 4, offset + 4 + length)) as unknown[]);
    offset += 4 + length;
  }
  return messages;
}

/** A long-poll transport that polls by itself, as AutobahnJS does, with sends posted in order. */
export class LongPollConnection extends WireConnection {
  /** Receive answers that carried messages (a batch counts once). */
  answers = 0;
  private sending: Promise<void> = Promise.resolve();
  private readonly polling = new AbortController();

  private constructor(codec: Codec, readonly batched: boolean, readonly url: string) {
    super(codec);
  }

  static async open(base: string, codec: Codec, batched = false): Promise<LongPollConnection> {
    const protocol = `${codec.subprotocol}${batched ? '.batched' : ''}`;
    const opened = await openTransport(base, [protocol]);
    if (opened.protocol !== protocol) throw new Error(`asked for ${protocol}, got ${opened.protocol}`);
    const connection = new LongPollConnection(codec, batched, `${base}/${opened.transport}`);
    void connection.poll();
    return connection;
  }

  send(message: unknown[]): void {
    const body = encodeBody(this.codec, this.batched, [message]);
    this.sending = this.sending.then(async () => {
      if (this.closedBecause !== undefined) return;
      try {
        const answer = await post(`${this.url}/send`, body);
        if (answer.status !== 204) this.stop(`send answered ${answer.status}: ${answer.body.toString()}`);
      } catch (error) {
        this.stop(`send failed: ${(error as Error).message}`);
      }
    });
  }

  /** The client closes its transport without a GOODBYE. */
  async drop(): Promise<void> {
    this.stop('dropped by the test');
    await post(`${this.url}/close`);
  }

  private async poll(): Promise<void> {
    while (this.closedBecause === undefined) {
      let answer: HttpAnswer;
      try {
        answer = await post(`${this.url}/receive`, undefined, { signal: this.polling.signal });
      } catch (error) {
        this.stop(`receive failed: ${(error as Error).message}`);
        return;
      }
      if (answer.status === 204) continue;
      if (answer.status !== 200) {
        this.stop(`receive answered ${answer.status}: ${answer.body.toString()}`);
        return;
      }
      this.answers++;
      for (const message of decodeBody(this.codec, this.batched, answer.body)) this.received(message);
    }
  }

  private stop(reason: string): void {
    this.ended(reason);
    this.polling.abort();
  }
}
