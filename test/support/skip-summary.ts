/**
 * A node:test reporter that ends the run with one line saying what was skipped and why, so a
 * green run on a machine without nginx, PHP, Chromium or Python cannot hide that their suites
 * never ran (the runner's own summary counts a skipped suite as one test and names no reason).
 * `npm test` runs it beside the spec reporter. Above that line it lists the slowest test files
 * (file-durations.ts); its last line is the plain count of tests passed, failed and skipped.
 */
import { slowestFilesLines, tallyFileTime, type TimedEvent } from './file-durations.js';

/** How many of the slowest files the run ends by naming. */
const SLOWEST_FILES = 10;

interface TestEvent {
  type: string;
  data: { skip?: string | boolean; details?: { type?: string } };
}

export interface Skipped {
  suites: number;
  tests: number;
}

/** Counts every skipped suite and test by reason. A skipped suite's tests never run, so they are not counted apart. */
export function tallySkip(tally: Map<string, Skipped>, event: TestEvent): void {
  if ((event.type !== 'test:pass' && event.type !== 'test:fail') || !event.data.skip) return;
  const reason = event.data.skip === true ? 'no reason given' : event.data.skip;
  const counts = tally.get(reason) ?? { suites: 0, tests: 0 };
  if (event.data.details?.type === 'suite') counts.suites += 1;
  else counts.tests += 1;
  tally.set(reason, counts);
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function amount({ suites, tests }: Skipped): string {
  return [suites && plural(suites, 'suite'), tests && plural(tests, 'test')].filter(Boolean).join(' and ');
}

/** The one summary line: "# skipped nothing", or the totals then each reason with its counts. */
export function skipSummaryLine(tally: Map<string, Skipped>): string {
  if (tally.size === 0) return '# skipped nothing\n';
  const total = { suites: 0, tests: 0 };
  for (const counts of tally.values()) {
    total.suites += counts.suites;
    total.tests += counts.tests;
  }
  const reasons = [...tally].map(([reason, counts]) => `${reason}: ${amount(counts)}`);
  return `# skipped ${amount(total)} — ${reasons.join('; ')}\n`;
}

export interface Outcomes {
  passed: number;
  failed: number;
  skipped: number;
}

/** Counts tests, not suites: a suite's pass or failure is its tests'. */
export function tallyOutcome(outcomes: Outcomes, event: TestEvent): void {
  if ((event.type !== 'test:pass' && event.type !== 'test:fail') || event.data.details?.type === 'suite') return;
  if (event.data.skip) outcomes.skipped += 1;
  else if (event.type === 'test:pass') outcomes.passed += 1;
  else outcomes.failed += 1;
}

/** The plain closing line that any CI reads, whatever reporter printed above it. */
export function outcomeLine({ passed, failed, skipped }: Outcomes): string {
  return `tests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`;
}

export default async function* skipSummary(source: AsyncIterable<TestEvent & TimedEvent>): AsyncGenerator<string> {
  const tally = new Map<string, Skipped>();
  const outcomes: Outcomes = { passed: 0, failed: 0, skipped: 0 };
  const fileTimes = new Map<string, number>();
  for await (const event of source) {
    tallySkip(tally, event);
    tallyOutcome(outcomes, event);
    tallyFileTime(fileTimes, event);
  }
  yield slowestFilesLines(fileTimes, SLOWEST_FILES);
  yield skipSummaryLine(tally);
  yield outcomeLine(outcomes);
}
