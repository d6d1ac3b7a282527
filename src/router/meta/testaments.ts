import type { Args, Dict } from '../../protocol/messages.js';

export type TestamentScope = 'detached' | 'destroyed';
export const testamentScopes: readonly TestamentScope[] = ['detached', 'destroyed'];

/** An event a session leaves behind: published by the router when the session goes. */
export interface Testament {
  topic: string;
  args: Args;
  kwargs: Dict;
  options: Dict;
}

/** A bound per session and scope, so that testaments cannot grow the router's memory without end. */
export const testamentsPerScope = 100;

/**
 * The testaments of each session, in two buckets as the spec wants even without session
 * resumption: on leave, "detached" ones are published before "destroyed" ones, each in the
 * order they were added.
 */
export class Testaments {
  private readonly bySession = new Map<number, Record<TestamentScope, Testament[]>>();

  /** Adds a testament; false when the scope is full. */
  add(session: number, scope: TestamentScope, testament: Testament): boolean {
    let buckets = this.bySession.get(session);
    if (!buckets) this.bySession.set(session, (buckets = { detached: [], destroyed: [] }));
    if (buckets[scope].length >= testamentsPerScope) return false;
    buckets[scope].push(testament);
    return true;
  }

  /** Drops a scope's testaments; returns how many there were. */
  flush(session: number, scope: TestamentScope): number {
    const buckets = this.bySession.get(session);
    if (!buckets) return 0;
    const count = buckets[scope].length;
    buckets[scope] = [];
    return count;
  }

  /** A session's testaments in publication order, kept. */
  peek(session: number): Testament[] {
    const buckets = this.bySession.get(session);
    return buckets ? [...buckets.detached, ...buckets.destroyed] : [];
  }

  /** Removes and returns a departed session's testaments in publication order. */
  take(session: number): Testament[] {
    const buckets = this.bySession.get(session);
    if (!buckets) return [];
    this.bySession.delete(session);
    return [...buckets.detached, ...buckets.destroyed];
  }

  get sessionCount(): number {
    return this.bySession.size;
  }
}
