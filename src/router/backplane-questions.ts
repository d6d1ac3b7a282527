import type { Asked } from './backplane.js';

/** How long a node waits for the others to answer a question (the meta API's view of the cluster). */
export const questionTimeoutMs = 2_000;
/** Questions one node may have in flight at once; more are refused rather than queued. */
export const maxQuestionsInFlight = 1_000;

/** Refused: `maxQuestionsInFlight` questions are already waiting for answers. */
export class TooManyQuestions extends Error {
  constructor() {
    super(`${maxQuestionsInFlight} questions to other router nodes are already waiting for answers; try again later`);
  }
}

interface Pending {
  waiting: Set<string>;
  answers: { node: string; answer: unknown }[];
  failed: string[];
  finish: () => void;
}

/**
 * The questions this node asked and the answers still due, each bounded in time: a question
 * resolves once every node asked has answered or left, or when its time is up (`questionTimeoutMs`
 * unless a test says otherwise), naming the nodes that stayed silent. Nothing waits forever and
 * nothing accumulates.
 */
export class PendingQuestions {
  private next = 0;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly timeoutMs = questionTimeoutMs) {}

  /** A new question to `nodes`: its ID for the wire, and its answers to come. Throws when too many are in flight. */
  open(nodes: readonly string[]): { id: number; answers: Promise<Asked<unknown>> } {
    if (this.pending.size >= maxQuestionsInFlight) throw new TooManyQuestions();
    const id = ++this.next;
    const answers = new Promise<Asked<unknown>>((resolve) => {
      const entry: Pending = {
        waiting: new Set(nodes), answers: [], failed: [],
        finish: () => {
          clearTimeout(timer);
          this.pending.delete(id);
          resolve({ answers: entry.answers, missing: [...entry.failed, ...entry.waiting] });
        },
      };
      const timer = setTimeout(entry.finish, this.timeoutMs);
      timer.unref?.();
      this.pending.set(id, entry);
      if (entry.waiting.size === 0) entry.finish();
    });
    return { id, answers };
  }

  /** A node's answer, or (failed) its word that it could not answer. */
  answered(id: number, node: string, answer: unknown, failed = false): void {
    const entry = this.pending.get(id);
    if (!entry?.waiting.delete(node)) return;
    if (failed) entry.failed.push(node);
    else entry.answers.push({ node, answer });
    if (entry.waiting.size === 0) entry.finish();
  }

  /** A node left or died: it holds nothing any more, so no answer is missing from it. */
  nodeGone(node: string): void {
    for (const [id, entry] of [...this.pending]) {
      if (entry.waiting.delete(node) && entry.waiting.size === 0) this.pending.get(id)?.finish();
    }
  }

  /** This node leaves: every question ends with what it has. */
  closeAll(): void {
    for (const entry of [...this.pending.values()]) entry.finish();
  }
}
