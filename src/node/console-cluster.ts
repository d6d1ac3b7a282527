import type { Dict } from '../protocol/messages.js';
import { AskError } from '../router/backplane-asks.js';
import type { Backplane } from '../router/backplane.js';
import { questionTimeoutMs } from '../router/backplane-questions.js';
import type { Listing } from '../router/meta/inventory.js';
import type { NodePart } from './console-merge.js';

/**
 * The console procedures of one realm asking the same procedures' handlers on every other node
 * of the cluster (Backplane.ask on the channel `console:<realm>`), each node within the cluster's
 * question time (questionTimeoutMs): a node that does not answer in time is named with why, never
 * dropped silently, and never holds the answer longer than that.
 *
 * Bounded without a limit of its own: per kind of question at most one round of asking is under
 * way and one more waits for it (FreshShared), however many consoles call at once.
 */

export type ListingKind = 'sessions' | 'subscriptions' | 'registrations';
export type ConsoleQuestion = { what: ListingKind } | { what: 'stats' };

/** What this node answers to another node's question: its own listing (at the most a listing holds) or stats. */
export interface ConsoleAnswers {
  listing(kind: ListingKind): Listing;
  stats(): Dict;
}

export class ConsoleCluster {
  private readonly channel: string;
  private readonly stopServing: () => void;
  private readonly rounds = new Map<ConsoleQuestion['what'], FreshShared<NodePart<unknown>[]>>();

  constructor(private readonly backplane: Backplane, realm: string, private readonly answers: ConsoleAnswers) {
    this.channel = `console:${realm}`;
    this.stopServing = backplane.serve(this.channel, async (body) => this.answer(body));
  }

  get nodeId(): string {
    return this.backplane.nodeId;
  }

  /** Every node's listing of `kind`: this node's and the others' answers, or why each other node gave none. */
  listings(kind: ListingKind): Promise<NodePart<Listing>[]> {
    return this.round(kind, () => this.answers.listing(kind)) as Promise<NodePart<Listing>[]>;
  }

  /** Every node's stats, likewise. */
  stats(): Promise<NodePart<Dict>[]> {
    return this.round('stats', () => this.answers.stats()) as Promise<NodePart<Dict>[]>;
  }

  stop(): void {
    this.stopServing();
  }

  private round(what: ConsoleQuestion['what'], here: () => unknown): Promise<NodePart<unknown>[]> {
    let shared = this.rounds.get(what);
    if (!shared) this.rounds.set(what, (shared = new FreshShared(() => this.ask({ what } as ConsoleQuestion, here))));
    return shared.get();
  }

  private async ask(question: ConsoleQuestion, here: () => unknown): Promise<NodePart<unknown>[]> {
    const own: NodePart<unknown> = { node: this.nodeId, answer: here() };
    const others = await Promise.all(this.backplane.peers().map((node) =>
      this.backplane.ask(node, this.channel, question, questionTimeoutMs).then(
        (answer): NodePart<unknown> => ({ node, answer }),
        (error: unknown): NodePart<unknown> => ({ node, error: whyNoAnswer(error) }))));
    return [own, ...others];
  }

  private answer(body: unknown): Dict | Listing {
    const what = (body as Partial<ConsoleQuestion> | undefined)?.what;
    if (what === 'stats') return this.answers.stats();
    if (what === 'sessions' || what === 'subscriptions' || what === 'registrations') return this.answers.listing(what);
    throw new Error(`the console does not answer "${String(what)}"`);
  }
}

function whyNoAnswer(error: unknown): string {
  if (error instanceof AskError && error.reason === 'unserved') return 'no console of this realm answers on that node (it may be starting)';
  return error instanceof Error ? error.message : String(error);
}

/**
 * Shares one run of `work` among callers, and never hands a caller the answer of a run that began
 * before it called: a caller arriving while a run is under way waits for the next run, which
 * starts when that one ends and is shared by everyone who arrived meanwhile. So at most one run is
 * under way and one waits, and a listing asked right after a change (a meta event) sees it.
 */
export class FreshShared<T> {
  private running: Promise<T> | undefined;
  private next: Promise<T> | undefined;

  constructor(private readonly work: () => Promise<T>) {}

  get(): Promise<T> {
    if (!this.running) return this.start();
    this.next ??= this.running.then(ignore, ignore).then(() => {
      this.next = undefined;
      return this.start();
    });
    return this.next;
  }

  private start(): Promise<T> {
    const run = this.work().finally(() => {
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run;
  }
}

function ignore(): void {}
