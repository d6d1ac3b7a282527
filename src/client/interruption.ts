/**
 * The AbortSignal of one running invocation, made only when the endpoint asks for it: many
 * endpoints never look, and an AbortController per INVOCATION was a measurable share of a
 * router link's work (bench/RESULTS.md). An INTERRUPT (or lost connection) that comes first is
 * kept, and the signal made afterwards is already aborted with its reason.
 */
export class Interruption {
  #controller: AbortController | undefined;
  #aborted = false;
  #reason: unknown;

  get aborted(): boolean {
    return this.#aborted;
  }

  get reason(): unknown {
    return this.#reason;
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }
}
