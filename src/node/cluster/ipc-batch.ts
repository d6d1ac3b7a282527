import { EventEmitter } from 'node:events';

/**
 * One IPC message per turn and direction. Every `process.send` / `worker.send` costs a V8
 * serialization, a pipe write and a wake-up of the reader, and every message read costs a
 * deserialization and an event: per crossing publication that was most of what `--workers`
 * added. A `TurnBatch` collects what one side sends in one event-loop turn and writes it as one
 * message (a lone message goes as it is); the reader takes the messages of a batch in order
 * (`eachMessage`), so the order per sender is the order sent, across batches too.
 */

/** Written when a turn sent more than one message. */
export interface IpcBatch<T> {
  junction: 'batch';
  messages: T[];
}

/** Called once the message has left this process (or could not). */
export type Written = (error: Error | null) => void;

/** The send of an IPC channel (process.send, worker.send, a stand-in in tests). */
export type ChannelSend<T> = (message: T | IpcBatch<T>, written: Written) => unknown;

export interface TurnBatchOptions<T> {
  /**
   * Hears once per write the bytes (as estimated by the callers of `add`) the write carried, so a
   * bound on what is not yet written can be kept without a callback per message.
   */
  written?: (bytes: number) => void;
  /** A message the channel cannot send (it cannot be serialized): it is dropped, and said here. */
  unsent: (error: Error, message: T) => void;
}

/**
 * Collects the messages sent to one channel in this turn, and writes them at its end (a
 * microtask: after the callback that produced them, before any other I/O is handled).
 */
export class TurnBatch<T> {
  private messages: T[] = [];
  private callbacks: Written[] = [];
  private bytes = 0;
  private closed = false;

  constructor(private readonly send: ChannelSend<T>, private readonly options: TurnBatchOptions<T>) {}

  /** Queues `message` for the end of this turn; `done`, if given, is called when its batch has been written. */
  add(message: T, bytes = 0, done?: Written): void {
    if (this.closed) {
      done?.(new Error('the channel is closed'));
      return;
    }
    if (this.messages.length === 0) queueMicrotask(this.flush);
    this.messages.push(message);
    this.bytes += bytes;
    if (done) this.callbacks.push(done);
  }

  /** Writes what this turn queued now (it is written at the turn's end otherwise). */
  readonly flush = (): void => {
    const { messages, callbacks, bytes } = this;
    if (messages.length === 0) return;
    this.messages = [];
    this.callbacks = [];
    this.bytes = 0;
    const complete: Written = (error) => {
      if (bytes > 0) this.options.written?.(bytes);
      for (const done of callbacks) done(error);
    };
    try {
      this.send(messages.length === 1 ? messages[0]! : { junction: 'batch', messages }, complete);
    } catch {
      // The channel could not serialize the batch: one bad message must not take the rest of the
      // turn with it, so each goes alone and only what fails is reported (handed on counts as written here).
      for (const message of messages) {
        try {
          this.send(message, () => {});
        } catch (error) {
          this.options.unsent(error as Error, message);
        }
      }
      complete(null);
    }
  };

  /** The peer is gone: what is queued is dropped (its callbacks hear an error), and nothing more is sent. */
  close(): void {
    this.closed = true;
    const { callbacks, bytes } = this;
    this.messages = [];
    this.callbacks = [];
    this.bytes = 0;
    if (bytes > 0) this.options.written?.(bytes);
    for (const done of callbacks) done(new Error('the channel is closed'));
  }
}

/** One end of an IPC channel as Node gives it (process in a worker, a cluster Worker in the parent), or a stand-in in tests. */
export interface RawChannel<Out> {
  send(message: Out | IpcBatch<Out>, written: Written): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
}

/** A channel whose sends leave once per turn (TurnBatch) and whose listeners hear each message of a batch. */
export interface BatchedChannel<Out> {
  send(message: Out, written?: Written): void;
  on(event: 'message', listener: (message: unknown) => void): void;
  off(event: 'message', listener: (message: unknown) => void): void;
  /** Who hears of a message that could not be sent (the channel is made before the logger is). */
  onUnsent(report: (error: Error, message: Out) => void): void;
  /** Writes what this turn queued now: before the channel is closed. */
  flush(): void;
}

/**
 * `raw` with batching both ways. Each message of a batch is heard by every listener before the
 * next message is: the order across listeners is the order sent, as without batches.
 */
export function batchedChannel<Out>(raw: RawChannel<Out>): BatchedChannel<Out> {
  let report = (error: Error, _message: Out): void => {
    throw error; // until someone listens: as an unbatched send would
  };
  const batch = new TurnBatch<Out>((message, written) => raw.send(message, written), { unsent: (error, message) => report(error, message) });
  const listeners = new EventEmitter();
  const emit = (message: unknown): boolean => listeners.emit('message', message);
  const fromRaw = (message: unknown): void => eachMessage(message, emit);
  return {
    send: (message, written) => batch.add(message, 0, written),
    on(event, listener) {
      // Listening on the raw channel keeps it (and the process) alive: only while someone listens here.
      if (listeners.listenerCount(event) === 0) raw.on(event, fromRaw);
      listeners.on(event, listener);
    },
    off(event, listener) {
      listeners.off(event, listener);
      if (listeners.listenerCount(event) === 0) raw.off(event, fromRaw);
    },
    onUnsent: (given) => void (report = given),
    flush: batch.flush,
  };
}

/** Calls `handle` with each message of `raw`: the messages of a batch in order, or `raw` itself. */
export function eachMessage(raw: unknown, handle: (message: unknown) => void): void {
  if (typeof raw === 'object' && raw !== null && (raw as { junction?: unknown }).junction === 'batch') {
    for (const message of (raw as IpcBatch<unknown>).messages) handle(message);
  } else handle(raw);
}
