import { request } from 'node:http';

export interface FreshAnswer {
  status: number;
  body: string;
}

/**
 * One HTTP request on a connection of its own (no keep-alive): behind a round-robin balancer, or
 * the parent of --workers, consecutive requests land on different router processes.
 */
export function freshRequest(url: string, method: string, body?: string, timeoutMs = 30_000): Promise<FreshAnswer> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method, agent: false, headers: { connection: 'close', 'content-type': 'application/json' }, timeout: timeoutMs }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
      response.on('error', reject);
    });
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer from ${method} ${url} within ${timeoutMs} ms`)));
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/**
 * An SSE stream on a connection of its own (`headers` added: a Last-Event-ID...), read until its
 * text matches `until`, then closed: that text. Fails if it answers other than 200, or has not
 * matched within `timeoutMs`.
 */
export function freshSse(url: string, until: RegExp, headers: Record<string, string> = {}, timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { agent: false, headers: { accept: 'text/event-stream', ...headers } }, (response) => {
      if (response.statusCode !== 200) return reject(new Error(`SSE answered ${response.statusCode}`));
      let text = '';
      response.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (!until.test(text)) return;
        outgoing.destroy();
        resolve(text);
      });
    });
    outgoing.setTimeout(timeoutMs, () => outgoing.destroy(new Error(`the SSE stream did not carry ${until} within ${timeoutMs} ms`)));
    outgoing.on('error', reject);
    outgoing.end();
  });
}

/** WAMP over long-poll (wamp.2.json, unbatched), each request on a fresh connection. */
export class FreshLongPoll {
  private constructor(readonly base: string, readonly transport: string) {}

  static async open(base: string): Promise<FreshLongPoll> {
    const answer = await freshRequest(`${base}/open`, 'POST', JSON.stringify({ protocols: ['wamp.2.json'] }));
    if (answer.status !== 200) throw new Error(`open answered ${answer.status}: ${answer.body}`);
    return new FreshLongPoll(base, (JSON.parse(answer.body) as { transport: string }).transport);
  }

  async send(message: unknown[]): Promise<void> {
    const answer = await freshRequest(`${this.base}/${this.transport}/send`, 'POST', JSON.stringify(message));
    if (answer.status !== 204) throw new Error(`send answered ${answer.status}: ${answer.body}`);
  }

  /** The next message (polls again after a 204 until `timeoutMs`). */
  async receive(timeoutMs = 10_000): Promise<unknown[]> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const answer = await this.operation('receive');
      if (answer.status === 200) return JSON.parse(answer.body) as unknown[];
      if (answer.status !== 204) throw new Error(`receive answered ${answer.status}: ${answer.body}`);
    }
    throw new Error(`no message within ${timeoutMs} ms`);
  }

  operation(name: 'receive' | 'close'): Promise<FreshAnswer> {
    return freshRequest(`${this.base}/${this.transport}/${name}`, 'POST');
  }
}
