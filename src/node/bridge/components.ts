import type { ComponentConfig } from '../../config/model.js';
import { UnsupportedConfigError } from '../auth-wiring.js';
import { onDemand, type FeatureModule } from '../on-demand.js';
import type { NodeContext } from '../web/service-context.js';
import type { ComponentFactory, RunnableComponentConfig, RunnableKind, RunningComponent } from './component-types.js';

type Factories = { [Kind in RunnableKind]?: FeatureModule<ComponentFactory<Extract<ComponentConfig, { kind: Kind }>>> };

/** The module of one component kind, loaded when a configuration first has that kind. */
function componentModule<C extends ComponentConfig>(kind: C['kind'], load: () => Promise<ComponentFactory<C>>): FeatureModule<ComponentFactory<C>> {
  return onDemand(`the ${kind} component`, load);
}

/** Each runnable component kind and the module that runs it. */
const factories: Factories = {
  forwarder: componentModule('forwarder', async () => (await import('./forwarder/forwarder.js')).forwarderComponent),
  'rest-callee': componentModule('rest-callee', async () => (await import('./rest-callee/component.js')).restCalleeComponent),
  process: componentModule('process', async () => (await import('./process/component.js')).processComponent),
  zeromq: componentModule('zeromq', async () => (await import('./zeromq/component.js')).zeromqComponent),
  stdio: componentModule('stdio', async () => (await import('./stdio/component.js')).stdioComponent),
};

/**
 * Starts every bridge component, in file order, before any listener opens: a forwarder is
 * subscribed and a REST-backed authenticator registered before the first client arrives. If one
 * fails, those already started are stopped and the error is passed on.
 */
export async function startComponents(components: readonly ComponentConfig[], context: NodeContext): Promise<Map<string, RunningComponent>> {
  const running = new Map<string, RunningComponent>();
  try {
    for (const component of components) {
      if (component.kind === 'python') continue; // not run in the router: a container's run in its own process (guests), the others get a notice
      running.set(component.id, await startComponent(component, context));
    }
  } catch (error) {
    await stopComponents(running.values());
    throw error;
  }
  return running;
}

/** Starts one bridge component (at start-up, or when a config reload adds or changes it). */
export async function startComponent(component: RunnableComponentConfig, context: NodeContext): Promise<RunningComponent> {
  const factory = factories[component.kind] as FeatureModule<ComponentFactory<ComponentConfig>> | undefined;
  if (!factory) throw new UnsupportedConfigError(`component "${component.id}": the ${component.kind} component is not available in this build`);
  return (await factory(`component "${component.id}"`))(component, { ...context, log: context.log.child({ component: component.id }) });
}

export async function stopComponents(running: Iterable<RunningComponent>): Promise<void> {
  await Promise.all([...running].map((component) => component.stop()));
}
