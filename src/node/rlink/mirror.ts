import type { Dict } from '../../protocol/messages.js';
import { WarningThrottle } from '../../router/limits/warning-throttle.js';
import type { Logger } from '../../router/log.js';
import type { LinkSide, Undo } from './link-sides.js';
import type { MirrorKind } from './rlink-metrics.js';

/** How many subscriptions or registrations a link holds for the other side, both ways together (0 = no limit). */
export class MirrorBudget {
  #held = 0;
  constructor(private readonly max: number, private readonly gauge: { set(value: number): void }, private readonly refused: { inc(): void }) {}

  take(): boolean {
    if (this.max > 0 && this.#held >= this.max) {
      this.refused.inc();
      return false;
    }
    this.gauge.set(++this.#held);
    return true;
  }

  give(count = 1): void {
    this.#held -= count;
    this.gauge.set(this.#held);
  }
}

interface Made {
  undo?: Undo;
  /** Deleted on the home side while it was being made on the other. */
  gone: boolean;
}

/** Makes the mirror of one subscription or registration (its meta API details) on the other side; undefined when there is none to keep. */
export type MakeMirror = (details: Dict) => Promise<Undo | undefined>;

/**
 * Mirrors the subscriptions or registrations of one side (home) onto the other (as Crossbar's
 * rlink does): those that exist when the link comes up, then each one the home side's meta API
 * announces as created or deleted. Router URIs (wamp.*) are never mirrored.
 */
export class Mirror {
  readonly #made = new Map<number, Made>();
  private readonly refusals = new WarningThrottle();

  constructor(
    private readonly home: LinkSide,
    private readonly kind: MirrorKind,
    private readonly make: MakeMirror,
    private readonly budget: MirrorBudget,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    await this.home.subscribe(`wamp.${this.kind}.on_create`, {}, (args) => void this.created(args[1] as Dict));
    await this.home.subscribe(`wamp.${this.kind}.on_delete`, {}, (args) => void this.deleted(args[1]));
    const lists = (await this.home.call(`wamp.${this.kind}.list`)).args[0] as Record<string, unknown> | undefined;
    const ids = ['exact', 'prefix', 'wildcard'].flatMap((match) => (Array.isArray(lists?.[match]) ? (lists[match] as unknown[]) : []));
    for (const id of ids) {
      if (typeof id !== 'number' || this.#made.has(id)) continue;
      const details = await this.home.call(`wamp.${this.kind}.get`, [id]).then((outcome) => outcome.args[0] as Dict, () => undefined); // gone meanwhile
      if (details) await this.created(details);
    }
  }

  /** The link went down: what was made went with its sessions. */
  clear(): void {
    this.budget.give(this.#made.size);
    this.#made.clear();
  }

  private async created(details: Dict | undefined): Promise<void> {
    const id = details?.id;
    const uri = details?.uri;
    if (typeof id !== 'number' || typeof uri !== 'string' || uri.startsWith('wamp.') || this.#made.has(id)) return;
    if (!this.budget.take()) {
      const count = this.refusals.record(performance.now());
      if (count !== undefined) this.log.warn({ kind: this.kind, uri, from: this.home.name, count }, 'router link: not mirrored, the link holds its limit of these (limits; count: since the last warning, further ones not logged for 10 s)');
      return;
    }
    const made: Made = { gone: false };
    this.#made.set(id, made);
    try {
      made.undo = await this.make(details!);
    } catch (error) {
      this.log.warn({ kind: this.kind, uri, from: this.home.name, error: (error as Error).message }, 'router link: could not mirror');
    }
    if (made.undo && !made.gone) return;
    if (this.#made.get(id) === made) {
      this.#made.delete(id);
      this.budget.give();
    }
    await made.undo?.().catch(() => undefined);
  }

  private async deleted(id: unknown): Promise<void> {
    const made = typeof id === 'number' ? this.#made.get(id) : undefined;
    if (!made) return;
    made.gone = true;
    if (!made.undo) return; // still being made: created() undoes it when that ends
    this.#made.delete(id as number);
    this.budget.give();
    await made.undo().catch(() => undefined); // the other side may be gone already
  }
}
