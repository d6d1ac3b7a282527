import type { Args, Kwargs } from './payload.js';

/** What a call returns, and what an endpoint may return to choose args and kwargs itself. */
export class Result<A extends Args = Args, K extends Kwargs = Kwargs> {
  constructor(
    readonly args: A = [] as unknown as A,
    readonly kwargs: K = {} as K,
    /** RESULT details from the router (e.g. `progress`); empty for results an endpoint builds. */
    readonly details: Record<string, unknown> = {},
  ) {}

  /** Whether this is a progressive (intermediate) result of a call. */
  get progress(): boolean {
    return this.details.progress === true;
  }
}
