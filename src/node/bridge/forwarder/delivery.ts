import { Agent, request } from 'undici';

/**
 * One HTTP delivery attempt through a pooled undici agent. Never throws: every way a request can
 * end is an outcome the queues act on.
 */

export type SendOutcome =
  | { kind: 'delivered'; status: number }
  /** The app refused or could not be reached: counts as a failed attempt. */
  | { kind: 'failed'; error: string }
  /** The node is stopping and cut the request short: not the app's fault, tried again after a restart. */
  | { kind: 'interrupted' };

export interface SenderOptions {
  method: string;
  /** The one status that means delivered; absent: any 2xx. */
  expectedCode?: number;
  timeoutMs: number;
  /** Connections kept per origin (the per-URL concurrency bounds how many are used at once). */
  connectionsPerOrigin: number;
}

/** Bytes of a refusing response's body quoted in the error (which goes to logs and dead letters). */
const ERROR_BODY_BYTES = 200;

export class HttpSender {
  private readonly agent: Agent;

  constructor(private readonly options: SenderOptions) {
    this.agent = new Agent({
      connections: options.connectionsPerOrigin,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
  }

  async send(url: string, headers: Record<string, string>, body: string, stop: AbortSignal): Promise<SendOutcome> {
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    try {
      const response = await request(url, {
        dispatcher: this.agent,
        method: this.options.method,
        headers,
        body,
        signal: AbortSignal.any([stop, timeout]),
      });
      if (this.accepts(response.statusCode)) {
        await response.body.dump({ limit: 65_536 }).catch(() => undefined); // the answer's content is not used
        return { kind: 'delivered', status: response.statusCode };
      }
      const excerpt = await readExcerpt(response.body);
      const expected = this.options.expectedCode === undefined ? 'a 2xx status' : `status ${this.options.expectedCode}`;
      return { kind: 'failed', error: `HTTP ${response.statusCode} (expected ${expected})${excerpt ? `: ${excerpt}` : ''}` };
    } catch (error) {
      if (stop.aborted) return { kind: 'interrupted' };
      if (timeout.aborted) return { kind: 'failed', error: `no answer within ${this.options.timeoutMs} ms` };
      return { kind: 'failed', error: describe(error) };
    }
  }

  /** Closes idle connections; the queues have already ended their requests. */
  async close(): Promise<void> {
    await this.agent.destroy();
  }

  private accepts(status: number): boolean {
    return this.options.expectedCode === undefined ? status >= 200 && status < 300 : status === this.options.expectedCode;
  }
}

/** The start of a response body, as one printable line. */
async function readExcerpt(body: AsyncIterable<Uint8Array>): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      chunks.push(Buffer.from(chunk));
      size += chunk.byteLength;
      if (size >= ERROR_BODY_BYTES) break; // leaving the loop destroys the stream: the rest is not read
    }
  } catch {
    // the excerpt is a courtesy: a broken body still leaves the status to report
  }
  return Buffer.concat(chunks).subarray(0, ERROR_BODY_BYTES).toString('utf8').replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}

/** A connection error as "ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:8080". */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  const code = (error as { code?: unknown }).code ?? (cause instanceof Error ? (cause as { code?: unknown }).code : undefined);
  const message = cause instanceof Error && error.message === 'fetch failed' ? cause.message : error.message;
  return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message;
}
