/** What the node and each kind of bridge component agree on (components.ts starts them). */

import type { ComponentConfig } from '../../config/model.js';
import type { Logger } from '../../router/log.js';
import type { NodeContext } from '../web/service-context.js';

/** A bridge component the node runs; stopped before the router shuts down. */
export interface RunningComponent {
  stop(): Promise<void>;
}

/** What a component factory gets: the node's context, with a logger bound to the component. */
export interface ComponentContext extends NodeContext {
  log: Logger;
}

export type RunnableKind = Exclude<ComponentConfig['kind'], 'python'>;
/** A component Junction runs (Python ones are only recorded). */
export type RunnableComponentConfig = Extract<ComponentConfig, { kind: RunnableKind }>;
export type ComponentFactory<Config extends ComponentConfig> = (component: Config, context: ComponentContext) => Promise<RunningComponent>;
