import { StartupError } from './startup-errors.js';

/** Imports one feature's module (for a configuration that has the feature); `where` names what in the configuration needs it. */
export type FeatureModule<T> = (where: string) => Promise<T>;

/**
 * A feature's module (a door, a path service, a component kind, a store...), imported the first
 * time a configuration uses it rather than at start: a run pays only for the features it has.
 * A module that cannot be loaded (a native dependency missing or broken) fails what needs it
 * with the feature and its place in the configuration named; the next use tries again.
 */
export function onDemand<T>(feature: string, load: () => Promise<T>): FeatureModule<T> {
  let loading: Promise<T> | undefined;
  return (where) => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading.catch((error: unknown) => {
      throw new StartupError('module_unloadable', `${where}: ${feature} cannot be loaded: ${String((error as Error).message).split('\n', 1)[0]}`);
    });
  };
}
