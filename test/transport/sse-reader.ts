/**
 * A curl-like reader of Server-Sent Events for tests: a plain node http.get that parses the
 * text/event-stream as it arrives, so tests can await the next message, comment or the end.
 */
import { get, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Arrivals } from '../support/wait.js';

export interface ReadMessage {
  id: string | undefined;
  /** The publication ID the id starts with (before its ':' and the positions). */
  publication: string | undefined;
  event: string;
  data: string;
}

export interface SseResponse {
  status: number;
  headers: IncomingHttpHeaders;
}

/** A refused request: its status and JSON body. */
export interface SseRefusal extends SseResponse {
  body: { error: string; message: string };
}

type Item = { kind: 'message'; message: ReadMessage } | { kind: 'comment'; text: string } | { kind: 'retry'; ms: number };

export class SseReader implements SseResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** Everything received so far, in order. */
  readonly items: Item[] = [];
  /** The raw text received so far. */
  raw = '';
  ended = false;
  private buffer = '';
  private block: { id?: string; event?: string; data: string[] } = { data: [] };
  private readonly arrivals = new Arrivals({
    stopped: () => (this.ended ? 'the stream ended' : undefined),
    received: () => `received so far: ${JSON.stringify(this.raw.slice(-500))}`,
  });

  constructor(readonly response: IncomingMessage) {
    this.status = response.statusCode ?? 0;
    this.headers = response.headers;
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => this.take(chunk));
    const finish = (): void => {
      this.ended = true;
      this.arrivals.wake();
    };
    response.on('end', finish);
    response.on('close', finish);
    response.on('error', finish);
  }

  get messages(): ReadMessage[] {
    return this.items.flatMap((item) => (item.kind === 'message' ? [item.message] : []));
  }

  get comments(): string[] {
    return this.items.flatMap((item) => (item.kind === 'comment' ? [item.text] : []));
  }

  /** Waits until `count` messages arrived (bounded by `timeoutMs`); resolves to all messages so far. */
  async waitForMessages(count: number, timeoutMs = 5_000): Promise<ReadMessage[]> {
    await this.arrivals.until(() => this.messages.length >= count, `${count} messages (have ${this.messages.length})`, timeoutMs);
    return this.messages;
  }

  /** Waits for a comment line containing `text`. */
  async waitForComment(text: string, timeoutMs = 5_000): Promise<string> {
    await this.arrivals.until(() => this.comments.some((comment) => comment.includes(text)), `a comment with "${text}"`, timeoutMs);
    return this.comments.find((comment) => comment.includes(text))!;
  }

  /** Waits for the server to end the stream. */
  async waitForEnd(timeoutMs = 5_000): Promise<void> {
    await this.arrivals.until(() => this.ended, 'the end of the stream', timeoutMs);
  }

  close(): void {
    this.response.destroy();
  }

  /** The WHATWG parsing rules, for the subset Junction writes (LF line ends). */
  private take(chunk: string): void {
    this.raw += chunk;
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, end).replace(/\r$/, '');
      this.buffer = this.buffer.slice(end + 1);
      this.line(line);
    }
    this.arrivals.wake();
  }

  private line(line: string): void {
    if (line === '') {
      if (this.block.data.length > 0) {
        const { id } = this.block;
        this.items.push({ kind: 'message', message: { id, publication: id?.split(':')[0], event: this.block.event ?? 'message', data: this.block.data.join('\n') } });
      }
      this.block = { data: [] };
      return;
    }
    if (line.startsWith(':')) {
      this.items.push({ kind: 'comment', text: line.slice(1).trimStart() });
      return;
    }
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (name === 'id') this.block.id = value;
    else if (name === 'event') this.block.event = value;
    else if (name === 'data') this.block.data.push(value);
    else if (name === 'retry') this.items.push({ kind: 'retry', ms: Number(value) });
  }
}

/** GETs `url`: a reader for a 200 stream, or the refusal with its JSON body. */
export function openSse(url: string, headers: Record<string, string> = {}): Promise<SseReader | SseRefusal> {
  return new Promise((resolve, reject) => {
    const request = get(url, { headers: { accept: 'text/event-stream', ...headers } }, (response) => {
      if (response.statusCode === 200) return resolve(new SseReader(response));
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        try {
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: JSON.parse(body) as SseRefusal['body'] });
        } catch (error) {
          reject(new Error(`status ${response.statusCode} with a body that is not JSON: ${body} (${(error as Error).message})`));
        }
      });
    });
    request.on('error', reject);
  });
}

/** Opens a stream that must be accepted. */
export async function openStream(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
  const opened = await openSse(url, headers);
  if (!(opened instanceof SseReader)) throw new Error(`expected a stream, got ${opened.status}: ${JSON.stringify(opened.body)}`);
  return opened;
}

/** Opens a request that must be refused. */
export async function openRefused(url: string, headers: Record<string, string> = {}): Promise<SseRefusal> {
  const opened = await openSse(url, headers);
  if (opened instanceof SseReader) {
    opened.close();
    throw new Error(`expected a refusal, got a stream from ${url}`);
  }
  return opened;
}
