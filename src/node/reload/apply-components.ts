import type { ComponentConfig, JunctionConfig } from '../../config/model.js';
import { startComponent } from '../bridge/components.js';
import type { NodeParts, ReloadLog } from './node-parts.js';
import type { ConfigDiff } from './config-diff.js';

/**
 * Bridge components a reload removes or changes are stopped before anything else changes (a
 * changed one is started again with its new settings by startChangedComponents, so its procedure
 * or subscription is briefly absent). A component that fails to stop is logged and dropped.
 */
export async function stopChangedComponents(parts: NodeParts, diff: ConfigDiff, log: ReloadLog): Promise<void> {
  const going = [...diff.components.removed, ...diff.components.changed.map((change) => change.before)];
  await Promise.all(going.map(async (component) => {
    const running = parts.components.get(component.id);
    parts.components.delete(component.id);
    try {
      await running?.stop();
    } catch (error) {
      parts.context.log.error({ component: component.id, err: error }, 'a component failed to stop during a reload');
    }
  }));
  for (const component of diff.components.removed) log.applied(`component "${component.id}" stopped (removed)`);
}

/**
 * Starts the components a reload adds or changes, in file order. Returns which components of
 * `target` now run: every unchanged one, and each added or changed one that started. One that
 * fails to start is reported (a later reload tries again).
 */
export async function startChangedComponents(parts: NodeParts, diff: ConfigDiff, target: JunctionConfig, log: ReloadLog): Promise<Set<ComponentConfig>> {
  const changed = new Set<ComponentConfig>(diff.components.changed.map((change) => change.after));
  const touched = new Set<ComponentConfig>([...diff.components.added, ...changed]);
  const running = new Set<ComponentConfig>();
  for (const component of target.components) {
    if (!touched.has(component) || component.kind === 'python') {
      running.add(component);
      continue;
    }
    try {
      parts.components.set(component.id, await startComponent(component, parts.context));
      running.add(component);
      log.applied(`component "${component.id}" ${changed.has(component) ? 'restarted with its new settings' : 'started (added)'}`);
    } catch (error) {
      log.notApplied(`component "${component.id}" could not start: ${(error as Error).message}`);
    }
  }
  return running;
}
