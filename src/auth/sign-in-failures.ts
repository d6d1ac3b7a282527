/**
 * Failed sign-ins by authentication method, across every transport of a node: what
 * junction_sign_in_failures_total reports. The keys are names of configured methods, so the map
 * is no larger than the list of methods a node offers.
 */
export class SignInFailures {
  private readonly counts = new Map<string, number>();

  record(method: string): void {
    this.counts.set(method, (this.counts.get(method) ?? 0) + 1);
  }

  byMethod(): ReadonlyMap<string, number> {
    return this.counts;
  }
}
