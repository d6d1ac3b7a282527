/**
 * What a live tap keeps: the newest `capacity` events in a ring, each as JSON text cut at
 * MAX_PAYLOAD_CHARS. Taking an event is O(1) plus writing its JSON, so a burst of thousands of
 * events a second costs the page little; older events are overwritten and counted as dropped,
 * events that come while the tap is paused are counted as skipped. Memory stays bounded by
 * `capacity` entries of bounded size, whatever the rate and however large the events.
 */
export interface TapEvent {
  /** Arrival, ms since the page loaded (performance.now()). */
  at: number;
  topic: string;
  /** The arguments as JSON, cut at MAX_PAYLOAD_CHARS. */
  args: string;
  /** The keyword arguments as JSON ("" when there are none), cut likewise. */
  kwargs: string;
  /** Either was cut. */
  cut: boolean;
  publisher?: number | undefined;
}

/** Characters of an event's arguments (and as many of its keyword arguments) a tap keeps. */
export const MAX_PAYLOAD_CHARS = 8192;

/** The tap's entry for an event as it arrives. */
export function tapEvent(topic: string, args: unknown[], kwargs: Record<string, unknown>, publisher: number | undefined, at: number): TapEvent {
  const argsJson = json(args);
  const kwargsJson = Object.keys(kwargs).length > 0 ? json(kwargs) : '';
  const cut = argsJson.length > MAX_PAYLOAD_CHARS || kwargsJson.length > MAX_PAYLOAD_CHARS;
  return { at, topic, args: argsJson.slice(0, MAX_PAYLOAD_CHARS), kwargs: kwargsJson.slice(0, MAX_PAYLOAD_CHARS), cut, publisher };
}

function json(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (error) {
    return JSON.stringify(`(not showable as JSON: ${(error as Error).message})`);
  }
}

export class TapBuffer {
  private readonly ring: (TapEvent | undefined)[];
  private start = 0;
  private count = 0;
  /** Events taken since the last clear, kept or not. */
  received = 0;
  /** Events overwritten by newer ones. */
  dropped = 0;
  /** Events that arrived while paused. */
  skipped = 0;
  paused = false;
  /** Bumped on every change, so a view redraws only when something happened. */
  version = 0;

  constructor(readonly capacity: number) {
    this.ring = new Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  push(event: TapEvent): void {
    this.received++;
    this.version++;
    if (this.paused) {
      this.skipped++;
      return;
    }
    if (this.count < this.capacity) {
      this.ring[(this.start + this.count) % this.capacity] = event;
      this.count++;
      return;
    }
    this.ring[this.start] = event;
    this.start = (this.start + 1) % this.capacity;
    this.dropped++;
  }

  /** The newest `limit` events, newest first. */
  newest(limit: number): TapEvent[] {
    const result: TapEvent[] = [];
    for (let i = this.count - 1; i >= 0 && result.length < limit; i--) result.push(this.ring[(this.start + i) % this.capacity]!);
    return result;
  }

  clear(): void {
    this.ring.fill(undefined);
    this.start = 0;
    this.count = 0;
    this.received = 0;
    this.dropped = 0;
    this.skipped = 0;
    this.version++;
  }
}
