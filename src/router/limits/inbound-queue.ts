import type { SessionLimits } from './session-limits.js';

/** Where a queue reports what it holds: the router's gauges over all sessions. */
export interface QueueMeter {
  changed(messages: number, bytes: number): void;
}

type QueueLimits = Pick<SessionLimits, 'maxQueuedMessagesPerSession' | 'maxQueuedBytesPerSession'>;

/** A received message with its size as received. */
export interface QueuedMessage {
  readonly message: unknown;
  readonly bytes: number;
}

/**
 * The messages a session received while an earlier one was still being handled (authentication,
 * a dynamic authorizer), kept in order with their size as received, so that the session can hold
 * it to its limits (0 = no limit).
 */
export class InboundQueue {
  private items: QueuedMessage[] = [];
  private byteCount = 0;

  constructor(private readonly meter: QueueMeter) {}

  get length(): number {
    return this.items.length;
  }

  get bytes(): number {
    return this.byteCount;
  }

  push(message: unknown, bytes: number): void {
    this.items.push({ message, bytes });
    this.byteCount += bytes;
    this.meter.changed(1, bytes);
  }

  /** The oldest message; the queue must not be empty. */
  shift(): unknown {
    const item = this.items.shift()!;
    this.byteCount -= item.bytes;
    this.meter.changed(-1, -item.bytes);
    return item.message;
  }

  /** Empties the queue; returns what it held, oldest first. */
  clear(): QueuedMessage[] {
    const items = this.items;
    this.meter.changed(-items.length, -this.byteCount);
    this.items = [];
    this.byteCount = 0;
    return items;
  }

  /** Holds more than a limit allows. */
  exceeds(limits: QueueLimits): boolean {
    const { maxQueuedMessagesPerSession: messages, maxQueuedBytesPerSession: bytes } = limits;
    return (messages > 0 && this.items.length > messages) || (bytes > 0 && this.byteCount > bytes);
  }

  /** Holds at most half of each limit: room enough to start reading again. */
  hasRoom(limits: QueueLimits): boolean {
    const { maxQueuedMessagesPerSession: messages, maxQueuedBytesPerSession: bytes } = limits;
    return (messages === 0 || this.items.length <= messages / 2) && (bytes === 0 || this.byteCount <= bytes / 2);
  }
}
