import type { JunctionConfig } from '../../config/model.js';
import type { Logger } from '../../router/log.js';
import type { RunningNode } from '../node.js';
import { plural } from '../../protocol/plural.js';
import { pathFileWarnings } from '../web/path-file-warnings.js';

/** A configuration read and validated in full, or the report of every problem it has. */
export type LoadedConfig = { ok: true; config: JunctionConfig } | { ok: false; report: string };

/** What `junction reload` gets back (the control socket sends it as JSON). */
export type ReloadOutcome =
  /** `warnings`: what `junction check` would warn of in the file now running (a static directory that does not exist). */
  | { ok: true; applied: string[]; notApplied: string[]; warnings: string[] }
  /** The file was refused (or the reload failed as a whole): nothing changed. */
  | { ok: false; error: string };

/**
 * One reload, as SIGHUP and the control socket trigger it: read and validate the file in full
 * (a bad file changes nothing), then apply the difference to the running node. Everything is
 * logged; the outcome goes back to whoever asked.
 */
export function reloader(node: RunningNode, load: () => Promise<LoadedConfig>, log: Logger): () => Promise<ReloadOutcome> {
  const reloads = node.metrics.counter('junction_config_reloads_total',
    'Configuration reloads, by outcome: applied (all of it), partial (some parts not applied), refused (a bad file: nothing changed), failed');
  return async () => {
    let loaded: LoadedConfig;
    try {
      loaded = await load();
    } catch (error) {
      loaded = { ok: false, report: (error as Error).message };
    }
    if (!loaded.ok) {
      log.error({ problems: loaded.report }, 'reload refused: the configuration is not valid; nothing changed');
      reloads.inc({ outcome: 'refused' });
      return { ok: false, error: loaded.report };
    }
    try {
      const report = await node.reload(loaded.config);
      if (report.applied.length === 0 && report.notApplied.length === 0) log.info({}, 'reload: the configuration is unchanged');
      else log.info({ applied: report.applied }, `reload: ${plural(report.applied.length, 'change')} applied`);
      for (const line of report.notApplied) log.warn({}, `reload: not applied: ${line}`);
      reloads.inc({ outcome: report.notApplied.length === 0 ? 'applied' : 'partial' });
      // Logged by the paths that were rebuilt (with these words); said to whoever asked in any case.
      return { ok: true, applied: report.applied, notApplied: report.notApplied, warnings: pathFileWarnings(loaded.config.listeners) };
    } catch (error) {
      log.error({ err: error }, 'reload failed');
      reloads.inc({ outcome: 'failed' });
      return { ok: false, error: `the reload failed: ${(error as Error).message}` };
    }
  };
}
