/**
 * The guest workers of one node: started once the router listens, stopped with it, and brought
 * in line with the file at each reload. As in Crossbar, a guest that exits is logged (with its
 * exit code or signal) and counted, and not started again; the node's shutdown triggers
 * (`controller.options.shutdown`, node-shutdown.ts) say whether the node stops with it. Two
 * things start one again: a change in a folder it watches (`options.watch`, action "restart"),
 * and a reload (a new or changed block, or one whose guest is not running). A guest that Junction
 * stops (its own stop, a reload, a watch) is not an exit that stops the node.
 */

import { watch, type FSWatcher } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { GuestConfig, NodeShutdownTrigger } from '../../config/model.js';
import { programSecretsMask } from '../../config/mask-secrets.js';
import type { MetricsRegistry } from '../../metrics/registry.js';
import type { Logger } from '../../router/log.js';
import { StartupError } from '../startup-errors.js';
import { guestEnvironment, guestExecutable } from './guest-launch.js';
import { forgetGuest, guestMetrics, type GuestMetrics } from './guest-metrics.js';
import type { BoundCounter } from '../../metrics/registry.js';
import { GuestOutput } from './guest-output.js';
import { runGuest, type GuestExit, type GuestRun, type GuestSpawn } from './guest-process.js';
import { guestChanges, guestLog } from './guest-texts.js';
import { pythonLaunch } from './python-container.js';
import { firedShutdownTrigger } from './node-shutdown.js';
import { aboutConfig } from '../logger.js';

/** Between SIGTERM and SIGKILL when a guest is stopped (the router's own shutdown grace). */
export const guestStopGraceMs = 2_000;

/** A watch restart of a guest that ran less than this waits twice as long as the last one (from 1 s up to the cap). */
const watchSettleMs = 10_000;
const watchMaxDelayMs = 60_000;

export interface GuestWorkersOptions {
  log: Logger;
  metrics: MetricsRegistry;
  stopGraceMs?: number;
  /** Stops the node when a guest or container worker that ends fires one of `triggers`; without it the node keeps running. */
  shutdown?: { triggers: readonly NodeShutdownTrigger[]; stopNode: () => void };
}

/** How a guest run ended, as junction_guest_exits_total counts it. */
export type GuestOutcome = 'success' | 'error' | 'signal' | 'not_started' | 'stopped' | 'killed';

export class GuestWorkers {
  private readonly guests = new Map<string, Supervised>();
  private readonly metrics: GuestMetrics;
  private stoppingNode = false;

  constructor(private readonly options: GuestWorkersOptions) {
    this.metrics = guestMetrics(options.metrics);
  }

  /**
   * Makes the running guests those of `next`: removed ones stopped, changed ones restarted, new
   * ones (and unchanged ones that are not running) started. Every program is looked up before
   * any is started or stopped: one that cannot be started throws (StartupError guest_not_startable) and changes
   * nothing. Returns one line per change.
   */
  async apply(next: readonly GuestConfig[]): Promise<string[]> {
    const wanted = new Map(next.map((guest) => [guest.id, guest]));
    const toStart = next.filter((guest) => {
      const current = this.guests.get(guest.id);
      return current === undefined || !sameGuest(current.config, guest) || !current.isRunning();
    });
    const launches = await Promise.all(toStart.map(async (guest) => ({ guest, spawn: await spawnSpec(guest, this.options.log) })));
    const changes: string[] = [];
    const stopping: Promise<void>[] = [];
    const stopped = new Set<string>();
    for (const [id, current] of this.guests) {
      const replacement = wanted.get(id);
      if (replacement !== undefined && !toStart.includes(replacement)) continue;
      this.guests.delete(id);
      stopped.add(id);
      if (replacement === undefined) changes.push(guestChanges.removed(id));
      else changes.push(current.isRunning() ? guestChanges.restarted(id) : guestChanges.startedAgain(id));
      stopping.push(replacement === undefined ? current.remove() : current.close());
    }
    await Promise.all(stopping);
    for (const { guest, spawn } of launches) {
      if (spawn === undefined) continue; // a container whose Python cannot run its components: warned
      const replaced = stopped.has(guest.id);
      if (!replaced) changes.push(guestChanges.started(guest.id));
      const supervised = new Supervised(guest, spawn, this.options, this.metrics);
      if (isCrossbarWorker(guest)) supervised.onEnded = (exit) => this.workerEnded(guest, exit);
      this.guests.set(guest.id, supervised);
      supervised.start();
    }
    return changes;
  }

  /** A guest or container worker ended by itself: the node stops if a shutdown trigger fires (once). */
  private workerEnded(guest: GuestConfig, exit: GuestExit): void {
    const shutdown = this.options.shutdown;
    if (shutdown === undefined || this.stoppingNode) return;
    const stillRunning = [...this.guests.values()].filter((other) => isCrossbarWorker(other.config) && other.isRunning()).length;
    const trigger = firedShutdownTrigger(shutdown.triggers, { successful: exit.kind === 'exited' && exit.code === 0, stillRunning });
    if (trigger === undefined) return;
    this.stoppingNode = true;
    this.options.log.warn({ guest: guest.id, ...exitFacts(exit), trigger }, guestLog.nodeShutdown);
    shutdown.stopNode();
  }

  /** Stops the guests `which` picks, every one by default (SIGTERM, SIGKILL after the grace). */
  async stop(which: (guest: GuestConfig) => boolean = () => true): Promise<void> {
    const stopping = [...this.guests].filter(([, guest]) => which(guest.config));
    for (const [id] of stopping) this.guests.delete(id);
    await Promise.all(stopping.map(([, guest]) => guest.close()));
  }
}

/** Looks up every guest's program, as `apply` would, without starting any: throws the first that cannot be started. */
export async function checkGuests(guests: readonly GuestConfig[]): Promise<void> {
  const [first] = await guestProblems(guests);
  if (first !== undefined) throw first;
}

/** Every guest whose program cannot be started, as `junction start` would refuse it (`junction check` lists them all). */
export async function guestProblems(guests: readonly GuestConfig[]): Promise<StartupError[]> {
  // A container's missing Python is a warning at start, not a problem (python-container.ts).
  const programs = guests.filter((guest) => guest.python === undefined);
  const outcomes = await Promise.all(programs.map((guest) => guestExecutable(guest).then(() => undefined, (error: unknown) => error)));
  return outcomes.flatMap((error) => {
    if (error === undefined) return [];
    if (error instanceof StartupError) return [error];
    throw error;
  });
}

/** A guest or container worker, as Crossbar counts workers: a router worker's Python components run inside its router there. */
function isCrossbarWorker(guest: GuestConfig): boolean {
  return guest.python?.router !== true;
}

/** Whether two blocks start the same guest (where they stand in the file does not matter). */
function sameGuest(a: GuestConfig, b: GuestConfig): boolean {
  return JSON.stringify({ ...a, at: '' }) === JSON.stringify({ ...b, at: '' });
}

/** How `guest` is started; undefined (with a warning) for a container whose Python cannot run its components. */
async function spawnSpec(guest: GuestConfig, log: Logger): Promise<GuestSpawn | undefined> {
  const common = { workdir: guest.workdir, env: guestEnvironment(guest.env), stdout: guest.stdout, stderr: guest.stderr };
  if (guest.python !== undefined) {
    const launch = await pythonLaunch(guest, guest.python);
    if (!launch.ok) {
      log.warn({ guest: guest.id, components: guest.python.components.map((component) => component.type === 'class' ? component.classname : component.id), reason: launch.reason, ...aboutConfig }, guestLog.pythonUnavailable);
      return undefined;
    }
    return { ...common, executable: launch.executable, arguments: launch.arguments, stdin: { kind: 'json', text: launch.stdinText, close: true } };
  }
  return { ...common, executable: await guestExecutable(guest), arguments: guest.arguments, stdin: guest.stdin };
}

/** One guest (or a wsgi or resource path's Python web host): its current run, and its watcher. */
export class Supervised {
  private run: GuestRun | undefined;
  private running = false;
  private closed = false;
  /** Removed by a reload: its series are forgotten, and what its pipes still deliver is not counted. */
  private removed = false;
  private watchers: FSWatcher[] = [];
  private startedAt = 0;
  private watchDelayMs: number;
  private watchRestarts = 0;
  private readonly pause = new AbortController();
  private readonly log: Logger;
  private readonly labels: { guest: string };
  private readonly maskSecrets: (text: string) => string;
  /** Told when a run ends by itself (not stopped by Junction), once it is reported. */
  onEnded: (exit: GuestExit) => void = () => {};

  constructor(
    readonly config: GuestConfig,
    private readonly spawn: GuestSpawn,
    private readonly options: GuestWorkersOptions,
    private readonly metrics: GuestMetrics,
  ) {
    this.log = options.log.child({ guest: config.id });
    this.labels = { guest: config.id };
    this.watchDelayMs = config.watch?.delayMs ?? 0;
    // A guest may echo the secrets it was given (its arguments, its environment) in its output.
    this.maskSecrets = programSecretsMask([spawn.executable, ...spawn.arguments], spawn.env);
  }

  isRunning(): boolean {
    return this.running;
  }

  start(): void {
    if (this.closed) return;
    const output = new GuestOutput(this.log, this.config, {
      droppedTooLong: this.unlessRemoved(this.metrics.dropped.bind({ ...this.labels, reason: 'too_long' })),
      droppedRate: this.unlessRemoved(this.metrics.dropped.bind({ ...this.labels, reason: 'rate' })),
    }, this.maskSecrets);
    const run = runGuest(this.spawn, output);
    this.run = run;
    this.running = true;
    this.startedAt = Date.now();
    this.metrics.starts.inc(this.labels);
    // Counted up and down, not set: a reload starts a wsgi or resource path's new process before it stops the old one, under one name.
    this.metrics.running.add(1, this.labels);
    this.log.info({ pid: run.pid, executable: this.spawn.executable, arguments: this.spawn.arguments.map(this.maskSecrets), workdir: this.spawn.workdir }, guestLog.started);
    this.watch();
    void run.exited.then((exit) => {
      if (this.run !== run || this.closed || this.stoppingRun === run) return; // stopped by us: reported there
      this.ended(exit);
    });
  }

  /** The run Junction is stopping (its exit is reported as stopped, not as the guest's own). */
  private stoppingRun: GuestRun | undefined;

  private ended(exit: GuestExit): void {
    this.running = false;
    this.metrics.running.add(-1, this.labels);
    this.unwatch();
    const outcome: GuestOutcome = exit.kind === 'not-started' ? 'not_started' : exit.kind === 'signaled' ? 'signal' : exit.code === 0 ? 'success' : 'error';
    this.metrics.exits.inc({ ...this.labels, outcome });
    const facts = exitFacts(exit);
    if (outcome === 'success') this.log.info(facts, guestLog.exitedCleanly);
    else if (outcome === 'not_started') this.log.error(facts, guestLog.failedToStart);
    else this.log.error(facts, guestLog.exitedWithError);
    this.onEnded(exit);
  }

  /** Stops the current run, if any; reports how it ended. */
  private async stopRun(): Promise<void> {
    const run = this.run;
    if (run === undefined || !this.running) return;
    this.stoppingRun = run;
    this.log.info({ pid: run.pid }, guestLog.stopping);
    const { exit, killed } = await run.stop(this.options.stopGraceMs ?? guestStopGraceMs);
    this.running = false;
    this.metrics.running.add(-1, this.labels);
    this.metrics.exits.inc({ ...this.labels, outcome: killed ? 'killed' : 'stopped' });
    if (killed) this.log.warn({ pid: run.pid, graceMs: this.options.stopGraceMs ?? guestStopGraceMs }, guestLog.killed);
    else this.log.info({ pid: run.pid, ...exitFacts(exit) }, guestLog.stopped);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.pause.abort();
    this.unwatch();
    await this.stopRun();
  }

  /** Stops it for good (a reload removed it) and forgets its series. */
  async remove(): Promise<void> {
    await this.close();
    this.removed = true;
    forgetGuest(this.metrics, this.config.id);
  }

  /** The output's pipes may still deliver lines after the program exited: a removed guest's must not bring its series back. */
  private unlessRemoved(counter: BoundCounter): BoundCounter {
    return {
      inc: (by) => {
        if (!this.removed) counter.inc(by);
      },
    };
  }

  private watch(): void {
    const watched = this.config.watch;
    if (watched === undefined) return;
    for (const directory of watched.directories) {
      try {
        const watcher = watch(directory, { recursive: true }, (_event, file) => this.changed(directory, String(file ?? '')));
        watcher.on('error', (error) => this.log.warn({ directory, error: error.message }, guestLog.watchFailed));
        this.watchers.push(watcher);
      } catch (error) {
        this.log.warn({ directory, error: (error as Error).message }, guestLog.watchFailed);
      }
    }
  }

  private unwatch(): void {
    for (const watcher of this.watchers) watcher.close();
    this.watchers = [];
  }

  /** Crossbar's watch: the first change stops the guest; with "restart" it starts again after the delay. */
  private changed(directory: string, file: string): void {
    if (this.watchers.length === 0 || this.closed) return;
    this.unwatch();
    const restart = this.config.watch?.restart === true;
    // A guest that keeps changing its own folder must not restart in a tight loop: the delay doubles while it runs only briefly.
    const ranBriefly = Date.now() - this.startedAt < watchSettleMs;
    const delayMs = ranBriefly && this.watchRestarts > 0 ? Math.min(Math.max(this.watchDelayMs * 2, 1_000), watchMaxDelayMs) : this.config.watch?.delayMs ?? 0;
    this.watchDelayMs = delayMs;
    if (restart) this.watchRestarts += 1;
    this.log.info({ directory, file, ...(restart && { restartInMs: delayMs }) }, restart ? guestLog.watchRestart : guestLog.watchChanged);
    void (async () => {
      await this.stopRun();
      if (!restart) return;
      await sleep(delayMs, undefined, { signal: this.pause.signal }).catch(() => undefined);
      this.start();
    })();
  }
}

function exitFacts(exit: GuestExit): Record<string, unknown> {
  switch (exit.kind) {
    case 'exited': return { exitCode: exit.code };
    case 'signaled': return { signal: exit.signal };
    case 'not-started': return { error: exit.message };
  }
}
