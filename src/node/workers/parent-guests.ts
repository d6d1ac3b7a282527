/**
 * The guest workers of a `junction start --workers N` parent: a guest runs once per machine, as
 * under Crossbar (one node, one guest), not once per worker. Started when every worker serves,
 * brought in line with the file at each SIGHUP, stopped with the workers. A guest's exit that
 * fires a shutdown trigger stops the workers and this parent, as SIGTERM does. The parent serves no
 * metrics: it sends its junction_guest_* figures to every worker each second, and /metrics of any
 * worker shows them (guestMetricsFromParent).
 */

import type { LoadedConfig } from '../reload/reloader.js';
import type { JunctionConfig } from '../../config/model.js';
import { MetricsRegistry } from '../../metrics/registry.js';
import type { Logger } from '../../router/log.js';
import type { ParentTasks } from '../cluster/workers.js';
import { guestFigures, guestMetrics, type GuestFiguresMessage } from './guest-metrics.js';
import { GuestWorkers } from './guest-workers.js';
import { triggeredStopExitCode } from './node-shutdown.js';

export function parentGuests(initial: JunctionConfig, load: () => Promise<LoadedConfig>, log: Logger): ParentTasks {
  const guestLog = log.child({ part: 'guests' });
  const registry = new MetricsRegistry();
  let stopNode: (code: number) => void = () => {};
  const shutdown = { triggers: initial.shutdownTriggers, stopNode: () => stopNode(triggeredStopExitCode) };
  const guests = new GuestWorkers({ log: guestLog, metrics: registry, shutdown });
  const metrics = guestMetrics(registry);
  let wanted = initial.guests;
  let reported = false;
  let serving = false;
  let stopped = false;
  let applying: Promise<void> = Promise.resolve();
  const apply = (): void => {
    applying = applying.then(async () => {
      if (stopped) return;
      try {
        for (const line of await guests.apply(wanted)) guestLog.info({}, line);
      } catch (error) {
        guestLog.error({ error: (error as Error).message }, 'guest workers not changed');
      }
    });
  };
  return {
    serving(stopWorkers) {
      stopNode = stopWorkers;
      serving = true;
      apply();
    },
    reload() {
      void load().then((loaded) => {
        if (!loaded.ok) return; // each worker reads the same file and logs its problems
        wanted = loaded.config.guests;
        if (serving) apply();
      }, () => undefined);
    },
    report(): GuestFiguresMessage | undefined {
      const figures = guestFigures(metrics);
      // No guest has run yet (none configured, mostly): nothing to tell. Once one has, an empty
      // report tells the workers that a reload removed them all.
      if (figures.running.length === 0 && !reported) return undefined;
      reported = true;
      return { junction: 'guests', figures };
    },
    async stop() {
      stopped = true;
      await applying;
      await guests.stop();
    },
  };
}
