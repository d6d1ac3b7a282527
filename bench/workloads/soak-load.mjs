import { connectWamp } from '../clients/wamp-client.mjs';
import { connectClient, connectMany } from '../clients/index.mjs';
import { sleep, withTimeout } from '../lib/clock.mjs';
import { DoorClients, CHURN_TOPICS } from './soak-doors.mjs';

/**
 * The soak test's load, at fixed rates well below capacity, all from this process:
 *
 * - fan-out: one publisher sends `publishRate` acknowledged publications a second to
 *   `subscribers` sessions on one topic; every subscriber checks that sequence numbers arrive
 *   in order, without gaps or repeats;
 * - RPC: `callers` sessions share `callRate` calls a second to one callee that echoes them;
 * - churn: `churnRate` new sessions a second, each joining, subscribing, registering its own
 *   procedure, calling, publishing, then leaving: every other one with GOODBYE and a clean close,
 *   the others by dropping the TCP connection with no goodbye (a crashed client);
 * - every other door in `doors` (workloads/soak-doors.mjs): `doorSubscribers` steady clients of
 *   the door listening to the fan-out topic, checked as the WebSocket subscribers are, and
 *   `doorChurnRate` churn clients a second. Without `wamp` in `doors`, the WebSocket subscribers,
 *   callers and churn are left out; the publisher and the echo callee serve every door.
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
const MAX_DOOR_CHURN_IN_FLIGHT = 20;
const PADDING = 'x'.repeat(64);

function counters(doors) {
  return {
    published: 0, publishErrors: 0, publishSkipped: 0,
    delivered: 0, gaps: 0, repeats: 0,
    calls: 0, callErrors: 0, callSkipped: 0,
    churned: 0, churnErrors: 0, churnSkipped: 0,
    // Churn of each door but WebSocket's: { churned, errors, skipped, firstError }.
    doors: Object.fromEntries(doors.map((door) => [door, { churned: 0, errors: 0, skipped: 0, firstError: null }])),
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
  /** `doorTargets`: the router's door targets (systems.mjs `doors`), when `settings.doors` names more than `wamp`. */
  constructor(target, settings, doorTargets) {
    this.target = target;
    this.settings = settings;
    this.withWebSocket = settings.doors.includes('wamp');
    this.otherDoors = settings.doors.filter((door) => door !== 'wamp');
    this.doorClients = this.otherDoors.length > 0 ? new DoorClients(this, doorTargets) : null;
    this.counts = counters(this.otherDoors);
    this.inFlight = { publishes: 0, calls: 0, churn: 0, ...Object.fromEntries(this.otherDoors.map((door) => [door, 0])) };
    this.watchers = []; // every steady listener of the fan-out topic: { door, lastSequence() }
    this.firstError = null;
    this.stoppers = [];
    this.nextSequence = 1;
    this.nextToken = 1;
    this.churnId = 0;
  }

  get echoProcedure() {
    return ECHO;
  }

  /**
   * Opens the steady clients (subscribers, publisher, callee, callers, each other door's
   * listeners); resolves to their count.
   */
  async open() {
    const subscribers = this.withWebSocket ? this.settings.subscribers : 0;
    const callers = this.withWebSocket ? this.settings.callers : 0;
    this.subscribers = await connectMany(this.target, subscribers);
    await Promise.all(this.subscribers.map((session) => session.subscribe(FANOUT_TOPIC, this.sequenceWatcher('wamp'))));
    this.publisher = await connectWamp(this.target);
    this.callee = await connectWamp(this.target);
    await this.callee.register(ECHO, (args) => args);
    this.callers = await connectMany(this.target, callers);
    let steady = subscribers + callers + 2;
    for (const door of this.otherDoors) {
      steady += await this.doorClients.openListeners(door, this.settings.doorSubscribers, FANOUT_TOPIC, () => this.sequenceWatcher(door));
    }
    if (this.otherDoors.includes('mqtt')) await this.doorClients.countWills();
    if (this.otherDoors.includes('http')) await this.doorClients.openHttp();
    return steady;
  }

  /** An event handler checking that the fan-out's sequence numbers (args[0]) come in order, without gaps or repeats. */
  sequenceWatcher(door) {
    let last = 0;
    this.watchers.push({ door, lastSequence: () => last });
    return ([sequence]) => {
      this.counts.delivered++;
      if (sequence <= last) this.counts.repeats++;
      else if (sequence !== last + 1) this.counts.gaps += sequence - last - 1;
      if (sequence > last) last = sequence;
    };
  }

  start() {
    const { publishRate, callRate, churnRate, doorChurnRate } = this.settings;
    this.stoppers.push(pace(publishRate, (owed) => { for (let i = 0; i < owed; i++) this.publishOne(); }));
    if (this.withWebSocket) {
      this.stoppers.push(pace(callRate, (owed) => { for (let i = 0; i < owed; i++) this.callOne(); }));
      this.stoppers.push(pace(churnRate, (owed) => { for (let i = 0; i < owed; i++) this.churnOne(); }));
    }
    for (const door of this.otherDoors) {
      let id = 0;
      this.stoppers.push(pace(doorChurnRate, (owed) => { for (let i = 0; i < owed; i++) this.doorChurnOne(door, ++id); }));
    }
  }

  /** Stops issuing new work and waits (bounded) for what is in flight. */
  async stop() {
    for (const stop of this.stoppers.splice(0)) stop();
    const deadline = Date.now() + REQUEST_TIMEOUT_MS + 1_000;
    while (Date.now() < deadline && Object.values(this.inFlight).some((n) => n > 0)) await sleep(50);
  }

  /**
   * Subscribers that have not received every acknowledged publication (after stop()): a line
   * per door with how many and the last sequence number each had, or [] when none is behind.
   */
  async behindSubscribers(waitMs) {
    const last = this.nextSequence - 1;
    const deadline = Date.now() + waitMs;
    let behind = this.watchers.filter((s) => s.lastSequence() < last);
    while (behind.length > 0 && Date.now() < deadline) {
      await sleep(50);
      behind = behind.filter((s) => s.lastSequence() < last);
    }
    const doors = [...new Set(behind.map((s) => s.door))];
    return doors.map((door) => {
      const lasts = behind.filter((s) => s.door === door).map((s) => s.lastSequence());
      return `${lasts.length} ${door} subscribers did not receive every acknowledged publication (the last ${last}; they had ${lasts.join(', ')})`;
    });
  }

  async close() {
    for (const session of [...this.subscribers, this.publisher, this.callee, ...this.callers]) session?.close();
    await this.doorClients?.close();
  }

  /** Wills of dropped MQTT churn clients received so far. */
  get wills() {
    return this.doorClients?.wills ?? 0;
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

  doorChurnOne(door, id) {
    const counts = this.counts.doors[door];
    if (this.inFlight[door] >= MAX_DOOR_CHURN_IN_FLIGHT) return void counts.skipped++;
    this.inFlight[door]++;
    withTimeout(this.doorClients.churn(door, id), REQUEST_TIMEOUT_MS, `${door} churn client ${id}`)
      .then(() => counts.churned++, (error) => {
        counts.errors++;
        counts.firstError ??= error.message;
      })
      .finally(() => this.inFlight[door]--);
  }

  /** One WAMP churn session of `door` (WebSocket, or another WAMP door: RawSocket, long-poll) on `target`. */
  async churnSession(id, door = 'wamp', target = this.target) {
    const session = await connectClient(target);
    try {
      const topic = `soak.churn.${id % CHURN_TOPICS}`;
      await session.subscribe(topic, () => {});
      await session.register(`soak.churn.procedure.${door}.${id}`, (args) => args);
      await session.call(ECHO, [id]);
      await session.publish(topic, [id]);
    } finally {
      if (id % 2 === 0) session.close();
      else session.drop();
    }
  }
}
