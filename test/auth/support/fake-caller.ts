import type { ProcedureCaller } from '../../../src/auth/caller.js';
import type { Args, Dict } from '../../../src/protocol/messages.js';

export interface RecordedCall {
  where: { realm: string; role: string };
  procedure: string;
  args: Args;
}

/** A ProcedureCaller whose procedure is a local function; it records every call. */
export class FakeCaller implements ProcedureCaller {
  readonly calls: RecordedCall[] = [];

  constructor(private answer: (...args: Args) => unknown) {}

  answerWith(answer: (...args: Args) => unknown): void {
    this.answer = answer;
  }

  async call(where: { realm: string; role: string }, procedure: string, args: Args): Promise<{ args: Args; kwargs: Dict }> {
    this.calls.push({ where, procedure, args });
    const value = await this.answer(...args);
    return { args: [value], kwargs: {} };
  }
}
