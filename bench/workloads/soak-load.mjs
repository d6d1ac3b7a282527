import { connectWamp } from '../clients/wamp-client.mjs';
import { connectMany } from '../clients/index.mjs';
import { sleep, withTimeout } from '../lib/clock.mjs';

/**
 * The soak test's load, at fixed rates well below capacity, all from this process:
 *
 * - fan-out: one publisher sends `publishRate` acknowledged publications a second to
 *   `subscribers` sessions on one topic; every subscriber checks that sequence numbers arrive
 *   in order, without gaps or repeats;
 * - RPC: `callers` sessions share `callRate` calls a second to one callee that echoes them;
 * - churn: `churnRate` new sessions a second, each joining, subscribing, registering its own
 *   procedure, calling, publishing, then leaving: every other one with GOODBYE and a clean close,
 *   the others by dropping the TCP connection with no goodbye (a crashed client).
 *
 * Every rate is paced from the start time (no drift), every kind of request has a bound on how
 * many may be in flight (past it a tick is skipped and counted, not queued), and every request
 * has a timeout, so a stalled router makes the soak fail, not grow.
 */

const FANOUT_TOPIC = 'soak.fanout';
const ECHO = 'soak.echo';
const TICK_MS = 10;
const REQUEST_TIMEOUT_MS = 10_000;
const MAX_PUBLISHES_IN_FLIGHT = 1_000;
const MAX_CALLS_IN_FLIGHT = 1_000;
const MAX_CHURN_IN_FLIGHT = 50;
/** Churn sessions subscribe to one of this many shared topics (so topics gain and lose subscribers). */
const CHURN_TOPICS = 16;
const PADDING = 'x'.repeat(64);

function counters() {
  return {
    published: 0, publishErrors: 0, publishSkipped: 0,
    delivered: 0, gaps: 0, repeats: 0,
    calls: 0, callErrors: 0, callSkipped: 0,
    churned: 0, churnErrors: 0, churnSkipped: 0,
  };
}

/** Calls `due(count)` with how many operations are owed at `perSecond` since start, every tick, until stopped. */
function pace(perSecond, due) {
  const start = Date.now();
  let done = 0;
  const timer = setInterval(() => {
    const owed = Math.floor(((Date.now() - start) / 1000) * perSecond) - done;
    if (owed > 0) {
      done += owed;
      due(owed);
    }
  }, TICK_MS);
  return () => clearInterval(timer);
}

export class SoakLoad {
  constructor(target, settings) {
    this.target = target;
    this.settings = settings;
    this.counts = counters();
    this.inFlight = { publishes: 0, calls: 0, churn: 0 };
    this.firstError = null;
    this.stoppers = [];
    this.nextSequence = 1;
    this.nextToken = 1;
    this.churnId = 0;
  }

  /** Opens the steady sessions (subscribers, publisher, callee, callers); resolves to their count. */
  async open() {
    const { subscribers, callers } = this.settings;
    this.subscribers = await connectMany(this.target, subscribers);
    await Promise.all(this.subscribers.map((session) => this.watchSequence(session)));
    this.publisher = await connectWamp(this.target);
    this.callee = await connectWamp(this.target);
    await this.callee.register(ECHO, (args) => args);
    this.callers = await connectMany(this.target, callers);
    return subscribers + callers + 2;
  }

  async watchSequence(session) {
    let last = 0;
    await session.subscribe(FANOUT_TOPIC, ([sequence]) => {
      this.counts.delivered++;
      if (sequence <= last) this.counts.repeats++;
      else if (sequence !== last + 1) this.counts.gaps += sequence - last - 1;
      if (sequence > last) last = sequence;
    });
    session.lastSequence = () => last;
  }

  start() {
    const { publishRate, callRate, churnRate } = this.settings;
    this.stoppers.push(pace(publishRate, (owed) => { for (let i = 0; i < owed; i++) this.publishOne(); }));
    this.stoppers.push(pace(callRate, (owed) => { for (let i = 0; i < owed; i++) this.callOne(); }));
    this.stoppers.push(pace(churnRate, (owed) => { for (let i = 0; i < owed; i++) this.churnOne(); }));
  }

  /** Stops issuing new work and waits (bounded) for what is in flight. */
  async stop() {
    for (const stop of this.stoppers.splice(0)) stop();
    const deadline = Date.now() + REQUEST_TIMEOUT_MS + 1_000;
    while (Date.now() < deadline && Object.values(this.inFlight).some((n) => n > 0)) await sleep(50);
  }

  /** Subscribers that have not received every acknowledged publication (after stop()). */
  async behindSubscribers(waitMs) {
    const last = this.nextSequence - 1;
    const deadline = Date.now() + waitMs;
    let behind = this.subscribers.filter((s) => s.lastSequence() < last);
    while (behind.length > 0 && Date.now() < deadline) {
      await sleep(50);
      behind = behind.filter((s) => s.lastSequence() < last);
    }
    return behind.length;
  }

  close() {
    for (const session of [...this.subscribers, this.publisher, this.callee, ...this.callers]) session?.close();
  }

  get churnInFlight() {
    return this.inFlight.churn;
  }

  failed(kind, error) {
    this.counts[kind]++;
    this.firstError ??= `${kind}: ${error.message}`;
  }

  publishOne() {
    if (this.inFlight.publishes >= MAX_PUBLISHES_IN_FLIGHT) return void this.counts.publishSkipped++;
    this.inFlight.publishes++;
    const sequence = this.nextSequence++;
    withTimeout(this.publisher.publish(FANOUT_TOPIC, [sequence, PADDING]), REQUEST_TIMEOUT_MS, 'PUBLISH')
      .then(() => this.counts.published++, (error) => this.failed('publishErrors', error))
      .finally(() => this.inFlight.publishes--);
  }

  callOne() {
    if (this.inFlight.calls >= MAX_CALLS_IN_FLIGHT) return void this.counts.callSkipped++;
    this.inFlight.calls++;
    const token = this.nextToken++;
    const caller = this.callers[token % this.callers.length];
    withTimeout(caller.call(ECHO, [token, PADDING]), REQUEST_TIMEOUT_MS, 'CALL')
      .then((args) => {
        if (args[0] !== token) throw new Error(`echo returned ${JSON.stringify(args[0])}, expected ${token}`);
        this.counts.calls++;
      })
      .catch((error) => this.failed('callErrors', error))
      .finally(() => this.inFlight.calls--);
  }

  churnOne() {
    if (this.inFlight.churn >= MAX_CHURN_IN_FLIGHT) return void this.counts.churnSkipped++;
    this.inFlight.churn++;
    const id = ++this.churnId;
    withTimeout(this.churnSession(id), REQUEST_TIMEOUT_MS, `churn session ${id}`)
      .then(() => this.counts.churned++, (error) => this.failed('churnErrors', error))
      .finally(() => this.inFlight.churn--);
  }

  async churnSession(id) {
    const session = await connectWamp(this.target);
    try {
      const topic = `soak.churn.${id % CHURN_TOPICS}`;
      await session.subscribe(topic, () => {});
      await session.register(`soak.churn.procedure.${id}`, (args) => args);
      await session.call(ECHO, [id]);
      await session.publish(topic, [id]);
    } finally {
      if (id % 2 === 0) session.close();
      else session.drop();
    }
  }
}
