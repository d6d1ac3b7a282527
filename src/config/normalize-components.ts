/**
 * Components of the file -> components of the model: the HTTP bridge classes and the `process`,
 * `zeromq` and `stdio` components become runnable configs; Python components are recorded (their
 * worker's Python runs them: normalize-guests.ts), a container's functions with a notice each.
 */

import { resolve } from 'node:path';
import type { ConfigFile } from './file-schema.js';
import type {
  BridgeComponentBase,
  ComponentConfig,
  ForwarderComponentConfig,
  ProcessComponentConfig,
  RestCalleeComponentConfig,
  StdioComponentConfig,
  ZeromqComponentConfig,
} from './model.js';
import { mapValues } from './normalize-auth.js';
import { fromConfigDir, type NormalizeContext } from './normalize-context.js';
import { notice } from './notices.js';
import type { ConfigPath } from './config-path.js';
import type {
  ContainerComponentFile,
  ForwarderExtraFile,
  ProcessComponentFile,
  RestCalleeExtraFile,
  RouterComponentFile,
  StdioComponentFile,
  ZeromqComponentFile,
} from './schema-components.js';
import { resolvePermissionUri } from './uri-patterns.js';

type AnyComponentFile = RouterComponentFile | ContainerComponentFile;

export function componentConfigs(file: ConfigFile, context: NormalizeContext): ComponentConfig[] {
  const all = file.workers.flatMap((worker, workerIndex) =>
    worker.type !== 'router' && worker.type !== 'container' ? [] : worker.components.map((component: AnyComponentFile, index) => ({
      component,
      where: worker.type === 'router' ? ('router' as const) : ('container' as const),
      path: ['workers', workerIndex, 'components', index] as ConfigPath,
      index,
    })),
  );
  const taken = new Set(all.flatMap(({ component }) => (component.id === undefined ? [] : [component.id])));

  return all.map(({ component, where, path, index }): ComponentConfig => {
    if (component.type === 'function' || (component.type === 'class' && component.bridge === undefined)) {
      const name = component.type === 'class' ? `Python component ${component.classname}` : 'Python function component';
      // Classes and a router's functions run in their worker's Python process (normalize-guests.ts); a container's functions do not.
      if (where === 'container' && component.type === 'function') context.notices.push(notice('config.notice.python_component', path, name));
      return {
        kind: 'python',
        where,
        type: component.type,
        ...(component.id === undefined ? {} : { id: component.id }),
        ...(component.type === 'class' ? { classname: component.classname } : {}),
        realm: component.realm,
        ...('role' in component && component.role !== undefined ? { role: component.role } : {}),
        extra: component.extra ?? {},
      };
    }

    let id = component.id;
    if (id === undefined) {
      id = generatedId(index, taken);
      taken.add(id);
      if (component.type === 'class' && component.bridge === 'forwarder') {
        context.notices.push(notice('config.notice.forwarder_id', path, id));
      }
    }
    const base: BridgeComponentBase = {
      id,
      realm: component.realm,
      ...('role' in component && component.role !== undefined ? { role: component.role } : {}),
    };
    if (component.type === 'process') return processConfig(component, base, context);
    if (component.type === 'zeromq') return zeromqConfig(component, base);
    if (component.type === 'stdio') return stdioConfig(component, base, context);
    if (where === 'container') {
      context.notices.push(notice('config.notice.transport_unused', path, component.classname));
    }
    return component.bridge === 'forwarder' ? forwarderConfig(component.extra, base) : restCalleeConfig(component.extra, base);
  });
}

/** `component<index>`, skipping ids the file already uses. */
function generatedId(index: number, taken: ReadonlySet<string>): string {
  let id = `component${index}`;
  while (taken.has(id)) id = `${id}_`;
  return id;
}

function forwarderConfig(extra: ForwarderExtraFile, base: BridgeComponentBase): ForwarderComponentConfig {
  return {
    kind: 'forwarder',
    ...base,
    subscriptions: extra.subscriptions.map((subscription) => {
      const resolved = resolvePermissionUri(subscription.topic, subscription.match);
      if (!resolved.ok) throw new Error(`unvalidated forwarder topic reached normalize: ${resolved.problem}`);
      return { topic: resolved.uri, match: resolved.match, url: subscription.url };
    }),
    method: extra.method,
    ...(extra.expectedcode === undefined ? {} : { expectedCode: extra.expectedcode }),
    headers: mapValues(extra.headers, (value) => value),
    ...(extra.signing_secret === undefined ? {} : { signingSecret: extra.signing_secret }),
    timeoutMs: extra.timeout,
    concurrencyPerUrl: extra.concurrency_per_url,
    retry: {
      initialDelayMs: extra.retry.initial_delay,
      maxDelayMs: extra.retry.max_delay,
      maxAttempts: extra.retry.max_attempts,
    },
    outboxLimit: extra.outbox_limit,
    outboxLimitBytes: extra.outbox_limit_bytes,
  };
}

function restCalleeConfig(extra: RestCalleeExtraFile, base: BridgeComponentBase): RestCalleeComponentConfig {
  return {
    kind: 'rest-callee',
    ...base,
    procedure: extra.procedure,
    baseUrl: extra.baseurl,
    headers: mapValues(extra.headers, (value) => value),
    timeoutMs: extra.timeout,
    errorOn4xx: extra.error_on_4xx,
    errorOn5xx: extra.error_on_5xx,
    maxResponseBytes: extra.max_response_bytes,
    ...(extra.authenticator ? { authenticator: true } : {}),
  };
}

/** Where and how a program runs: cwd from the config folder, a relative program found from cwd. */
function programSpec(component: ProcessComponentFile | StdioComponentFile, context: NormalizeContext): { command: string[]; cwd: string; env: Record<string, string> } {
  const cwd = fromConfigDir(context, component.cwd ?? '.');
  const [program, ...args] = component.command as [string, ...string[]];
  // A relative program ("./handler.sh", "bin/run") is found from cwd; a bare name on PATH.
  const executable = program.includes('/') ? resolve(cwd, program) : program;
  return { command: [executable, ...args], cwd, env: mapValues(component.env, (value) => value) };
}

function processConfig(component: ProcessComponentFile, base: BridgeComponentBase, context: NormalizeContext): ProcessComponentConfig {
  return {
    kind: 'process',
    ...base,
    procedure: component.procedure,
    ...programSpec(component, context),
    timeoutMs: component.timeout,
    concurrency: component.concurrency,
    queueLimit: component.queue_limit,
    maxOutputBytes: component.max_output_bytes,
  };
}

function zeromqConfig(component: ZeromqComponentFile, base: BridgeComponentBase): ZeromqComponentConfig {
  return {
    kind: 'zeromq',
    ...base,
    socket: component.socket,
    endpoint: component.bind !== undefined ? { mode: 'bind', address: component.bind } : { mode: 'connect', address: component.connect! },
    subscribe: component.socket === 'sub' ? component.subscribe ?? [''] : [],
    ...(component.topic_field === undefined ? {} : { topicField: component.topic_field }),
    maxMessageBytes: component.max_message_bytes,
  };
}

function stdioConfig(component: StdioComponentFile, base: BridgeComponentBase, context: NormalizeContext): StdioComponentConfig {
  return {
    kind: 'stdio',
    ...base,
    ...programSpec(component, context),
    maxLineBytes: component.max_line_bytes,
    queueLimit: component.queue_limit,
    restart: { initialDelayMs: component.restart.initial_delay, maxDelayMs: component.restart.max_delay },
  };
}
