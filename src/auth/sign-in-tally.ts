export type SignInOutcome = 'welcome' | 'refused';

/**
 * Sign-ins by method and outcome, counted by every gate of a node and read by its metrics.
 * Bounded: one entry per configured method and outcome.
 */
export class SignInTally {
  private readonly counts = new Map<string, Record<SignInOutcome, number>>();

  count(method: string, outcome: SignInOutcome): void {
    let entry = this.counts.get(method);
    if (!entry) this.counts.set(method, (entry = { welcome: 0, refused: 0 }));
    entry[outcome]++;
  }

  *entries(): Iterable<{ method: string; outcome: SignInOutcome; total: number }> {
    for (const [method, entry] of this.counts) {
      yield { method, outcome: 'welcome', total: entry.welcome };
      yield { method, outcome: 'refused', total: entry.refused };
    }
  }
}
