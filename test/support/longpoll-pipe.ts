import { request } from 'node:http';

/** A WAMP connection a test drives by hand, message by message: RawClient (WebSocket), RawSocketClient and LongPollPipe. */
export interface WampPipe {
  send(message: unknown[]): void;
  /** The first message (received or to come) that `match` takes; bounded in time or in polls. */
  next(match?: (message: unknown[]) => boolean, timeoutMs?: number): Promise<unknown[]>;
  close(): void;
}

/** Receives a `next` makes before it gives up (each is held at most the path's request_timeout). */
const MAX_POLLS = 20;

/** A long-poll transport speaking WAMP in JSON by hand: `send` posts, `next` polls; every answer body is kept in `answers`. */
export class LongPollPipe implements WampPipe {
  readonly answers: string[] = [];
  private readonly queue: unknown[][] = [];

  private constructor(readonly transportId: string, private readonly url: string) {}

  /** Opens a transport at `base` (the path's URL). */
  static async open(base: string): Promise<LongPollPipe> {
    const { transport } = JSON.parse(await post(`${base}/open`, JSON.stringify({ protocols: ['wamp.2.json'] }))) as { transport: string };
    return new LongPollPipe(transport, `${base}/${transport}`);
  }

  send(message: unknown[]): void {
    void post(`${this.url}/send`, JSON.stringify(message)).catch(() => undefined);
  }

  async next(match: (message: unknown[]) => boolean = () => true): Promise<unknown[]> {
    for (let poll = 0; poll < MAX_POLLS; poll++) {
      const index = this.queue.findIndex(match);
      if (index !== -1) return this.queue.splice(index, 1)[0]!;
      const body = await post(`${this.url}/receive`, '');
      this.answers.push(body);
      // 204 (nothing came within request_timeout) has no body.
      if (body !== '') this.queue.push(JSON.parse(body) as unknown[]);
    }
    throw new Error(`long-poll: no matching message in ${MAX_POLLS} receives`);
  }

  close(): void {
    void post(`${this.url}/close`, '').catch(() => undefined);
  }
}

function post(url: string, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json' } }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve(text));
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
