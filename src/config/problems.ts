/**
 * Configuration problems: what is wrong, where in the file, and how it is printed.
 *
 * Every check of the loader (YAML syntax, environment variables, schema, cross-checks) reports
 * `ConfigProblem`s instead of throwing, so a user sees every mistake of a file in one run.
 */

import { problemMessages, type ProblemCode, type SchemaProblemCode } from './codes.js';
import { withPath, type ConfigPath } from './config-path.js';

export interface ConfigProblem {
  /** Stable, documented in docs/errors.md (see codes.ts). */
  code: ProblemCode | SchemaProblemCode;
  path: ConfigPath;
  /** What is wrong and, where it helps, what was expected. Never contains secret values. */
  message: string;
  /** Point at the key itself (an unknown key) rather than at its value. */
  at?: 'key' | 'value';
  /** 1-based position in the source text, when the text is known. */
  line?: number;
  column?: number;
}

/** A problem with its code and the code's message. */
export function problem<C extends ProblemCode>(code: C, path: ConfigPath, ...args: Parameters<(typeof problemMessages)[C]>): ConfigProblem {
  const template = problemMessages[code] as (...values: typeof args) => string;
  return { code, path, message: template(...args) };
}

/** Thrown by the loader with every problem found; its message lists them one per line. */
export class ConfigError extends Error {
  readonly source: string;
  readonly problems: readonly ConfigProblem[];

  constructor(source: string, problems: readonly ConfigProblem[]) {
    super(formatProblems(source, problems));
    this.name = 'ConfigError';
    this.source = source;
    this.problems = problems;
  }
}

/** One line: `source:line:column: path: message [code]` (position and path only when known). */
export function formatProblem(source: string, problem: ConfigProblem): string {
  let where = source;
  if (problem.line !== undefined) where += `:${problem.line}:${problem.column ?? 1}`;
  return `${where}: ${withPath(problem.path, problem.message)} [${problem.code}]`;
}

export function formatProblems(source: string, problems: readonly ConfigProblem[]): string {
  return problems.map((problem) => formatProblem(source, problem)).join('\n');
}

/** Document order when positions are known; problems without a position keep their order at the end. */
export function sortProblems(problems: readonly ConfigProblem[]): ConfigProblem[] {
  return problems
    .map((problem, index) => ({ problem, index }))
    .sort((a, b) => {
      const la = a.problem.line ?? Number.MAX_SAFE_INTEGER;
      const lb = b.problem.line ?? Number.MAX_SAFE_INTEGER;
      if (la !== lb) return la - lb;
      const ca = a.problem.column ?? 0;
      const cb = b.problem.column ?? 0;
      if (ca !== cb) return ca - cb;
      return a.index - b.index;
    })
    .map(({ problem }) => problem);
}
