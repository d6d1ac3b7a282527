/**
 * Steps that finish in any order but must take effect in the order they came: a connection's
 * publications while a decoder works on some of them, a client's events while an encoder does.
 * Each step's `then` runs once it and every step before it have settled.
 */
export class InOrder {
  private readonly steps: { settled: boolean; run: () => void }[] = [];

  /** Steps not yet taken effect. */
  get size(): number {
    return this.steps.length;
  }

  add<T>(work: Promise<T>, then: (outcome: PromiseSettledResult<T>) => void): void {
    const step = { settled: false, run: () => {} };
    this.steps.push(step);
    const settle = (outcome: PromiseSettledResult<T>): void => {
      step.run = () => then(outcome);
      step.settled = true;
      this.runSettled();
    };
    work.then((value) => settle({ status: 'fulfilled', value }), (reason: unknown) => settle({ status: 'rejected', reason }));
  }

  private runSettled(): void {
    while (this.steps[0]?.settled) this.steps.shift()!.run();
  }
}
