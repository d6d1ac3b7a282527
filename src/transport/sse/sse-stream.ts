import type { ServerResponse } from 'node:http';
import { corkForThisTurn } from '../write-coalescing.js';
import { formatComment, formatRetry } from './sse-format.js';

export interface SseStreamOptions {
  /** A `: keepalive` comment is written after this many ms without any write (0: never). */
  heartbeatMs: number;
  /** Slow-consumer limit: bytes waiting in the response's buffer. */
  maxBufferedBytes: number;
  /** The `retry:` advice sent first: how long EventSource waits before reconnecting. */
  retryMs: number;
  /** Called once when the stream ends, whatever the cause. */
  onEnd(cause: SseEndCause): void;
}

/**
 * Why a stream ended: refused before it started (a JSON error was answered), the client went
 * away, we ended it (the router, shutdown), or it could not keep up.
 */
export type SseEndCause = 'refused' | 'client' | 'server' | 'slow_consumer';

/** How long a slow consumer gets to take what was already queued before its socket is destroyed. */
const SLOW_CONSUMER_GRACE_MS = 1_000;

/**
 * The HTTP side of one stream. Before `open`, the request can still be refused with a JSON error;
 * `open` writes the 200 headers and the `retry` advice, then heartbeats follow any silence.
 * Slow-consumer policy: once more than `maxBufferedBytes` wait in the response's buffer, nothing
 * more is written, the response is ended, and its socket destroyed if the client has not taken
 * the rest within a second. Memory per stream is therefore bounded by the limit plus one event;
 * a client that reconnects with Last-Event-ID gets what it missed from event history.
 */
export class SseStream {
  private state: 'pending' | 'open' | 'ended' = 'pending';
  private wasOpened = false;
  /** The status answered: 200 once opened, the refusal's otherwise (0 while pending). */
  status = 0;
  private lastWrite = 0;
  private heartbeat: ReturnType<typeof setTimeout> | undefined;
  private endedCallbacks: (() => void)[] = [];

  constructor(private readonly response: ServerResponse, private readonly options: SseStreamOptions) {
    response.on('close', () => this.finish('client'));
  }

  /** Not ended yet (pending or open). */
  get active(): boolean {
    return this.state !== 'ended';
  }

  /** Opened at some point (it may have ended since). */
  get opened(): boolean {
    return this.wasOpened;
  }

  /** Bytes written but not yet taken by the socket. */
  get bufferedBytes(): number {
    return this.response.writableLength;
  }

  /** Answers the request with a JSON error instead of a stream. */
  refuse(status: number, body: { error: string; message: string }, headers: Record<string, string> = {}): void {
    if (this.state !== 'pending') return;
    const text = JSON.stringify(body);
    this.status = status;
    this.response.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    this.response.end(text);
    this.finish('refused');
  }

  /** Writes the headers and the retry advice; from here on the status is 200 whatever happens. */
  open(): void {
    if (this.state !== 'pending') return;
    this.state = 'open';
    this.wasOpened = true;
    this.status = 200;
    this.response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      // no-transform: a proxy must not compress or re-chunk the stream (that would hold events back).
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // nginx buffers proxied responses unless told not to.
      'x-accel-buffering': 'no',
    });
    this.response.socket?.setNoDelay(true);
    this.write(formatRetry(this.options.retryMs));
    this.scheduleHeartbeat(this.options.heartbeatMs);
  }

  /** Writes SSE text (or its UTF-8 bytes); returns false when the stream is not open (then nothing was written). */
  write(text: string | Uint8Array): boolean {
    if (!this.writeBacklog(text)) return false;
    if (this.response.writableLength > this.options.maxBufferedBytes) {
      this.endSlowConsumer();
      return false;
    }
    return true;
  }

  /**
   * Writes without the slow-consumer check: for the replay from history, whose size the history's
   * own limit bounds; the caller waits for `drained()` before live events are written again.
   */
  writeBacklog(text: string | Uint8Array): boolean {
    if (this.state !== 'open') return false;
    corkForThisTurn(this.response);
    this.response.write(text);
    this.lastWrite = Date.now();
    return true;
  }

  comment(text: string): boolean {
    return this.write(formatComment(text));
  }

  /** Calls `callback` when the stream ends (at once if it has). */
  whenEnded(callback: () => void): void {
    if (this.state === 'ended') callback();
    else this.endedCallbacks.push(callback);
  }

  /** Resolves once the buffer is down to the slow-consumer limit, or the stream ended. */
  drained(): Promise<void> {
    if (this.state !== 'open' || this.response.writableLength <= this.options.maxBufferedBytes) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.response.off('drain', done);
        this.response.off('close', done);
        resolve();
      };
      this.response.on('drain', done);
      this.response.on('close', done);
    });
  }

  /** Ends the stream from our side, with a last comment saying why (a pending request gets 503). */
  end(why: string): void {
    if (this.state === 'pending') return this.refuse(503, { error: 'unavailable', message: why });
    if (this.state !== 'open') return;
    this.response.end(formatComment(why));
    this.finish('server');
  }

  private endSlowConsumer(): void {
    // The socket, not the response: a response counts as closed once ended, while its unsent
    // bytes still hold the (keep-alive) connection open.
    const socket = this.response.socket;
    this.response.end();
    this.finish('slow_consumer');
    if (!socket) return;
    const timer = setTimeout(() => socket.destroy(), SLOW_CONSUMER_GRACE_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  }

  private finish(cause: SseEndCause): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    if (this.heartbeat) clearTimeout(this.heartbeat);
    this.options.onEnd(cause);
    for (const callback of this.endedCallbacks.splice(0)) callback();
  }

  /** One timer per stream, re-armed for the remaining quiet time rather than reset on every write. */
  private scheduleHeartbeat(delayMs: number): void {
    if (this.options.heartbeatMs <= 0) return;
    this.heartbeat = setTimeout(() => {
      const quiet = Date.now() - this.lastWrite;
      if (quiet < this.options.heartbeatMs) return this.scheduleHeartbeat(this.options.heartbeatMs - quiet);
      if (this.comment('keepalive')) this.scheduleHeartbeat(this.options.heartbeatMs);
    }, delayMs);
    this.heartbeat.unref();
  }
}
