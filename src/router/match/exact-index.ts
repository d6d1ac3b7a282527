import type { MatchIndex } from './match-index.js';

/** Exact matching: one hash lookup. */
export class ExactIndex<T> implements MatchIndex<T> {
  readonly policy = 'exact';
  private readonly map = new Map<string, T>();

  get size(): number {
    return this.map.size;
  }

  get(pattern: string): T | undefined {
    return this.map.get(pattern);
  }

  set(pattern: string, value: T): void {
    this.map.set(pattern, value);
  }

  delete(pattern: string): boolean {
    return this.map.delete(pattern);
  }

  values(): IterableIterator<T> {
    return this.map.values();
  }

  collect(uri: string, into: T[]): void {
    const value = this.map.get(uri);
    if (value !== undefined) into.push(value);
  }

  best(uri: string): T | undefined {
    return this.map.get(uri);
  }
}
