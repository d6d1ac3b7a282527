import type { JunctionConfig } from '../../config/model.js';
import type { Logger } from '../../router/log.js';
import type { RunningNode } from '../node.js';
import { plural } from './apply-realms.js';

/** A configuration read and validated in full, or the report of every problem it has. */
export type LoadedConfig = { ok: true; config: JunctionConfig } | { ok: false; report: string };

/** What `junction reload` gets back (the control socket sends it as JSON). */
export type ReloadOutcome =
  | { ok: true; applied: string[]; notApplied: string[] }
  /** The file was refused (or the reload failed as a whole): nothing changed. */
  | { ok: false; error: string };

/**
 * One reload, as SIGHUP and the control socket trigger it: read and validate the file in full
 * (a bad file changes nothing), then apply the difference to the running node. Everything is
 * logged; the outcome goes back to whoever asked.
 */
export function reloader(node: RunningNode, load: () => Promise<LoadedConfig>, log: Logger): () => Promise<ReloadOutcome> {
  return async () => {
    let loaded: LoadedConfig;
    try {
      loaded = await load();
    } catch (error) {
      loaded = { ok: false, report: (error as Error).message };
    }
    if (!loaded.ok) {
      log.error({ problems: loaded.report }, 'reload refused: the configuration is not valid; nothing changed');
      return { ok: false, error: loaded.report };
    }
    try {
      const report = await node.reload(loaded.config);
      if (report.applied.length === 0 && report.notApplied.length === 0) log.info({}, 'reload: the configuration is unchanged');
      else log.info({ applied: report.applied }, `reload: ${plural(report.applied.length, 'change')} applied`);
      for (const line of report.notApplied) log.warn({}, `reload: not applied: ${line}`);
      return { ok: true, applied: report.applied, notApplied: report.notApplied };
    } catch (error) {
      log.error({ err: error }, 'reload failed');
      return { ok: false, error: `the reload failed: ${(error as Error).message}` };
    }
  };
}
