import type { HttpBridgeOptions, JunctionConfig, PathService, RoleConfig } from '../../src/config/model.js';
import { testConfig } from '../support/node.js';

/** Support for the HTTP bridge tests: model configs with bridge paths, and a small POST helper. */

export const bridgeDefaults: HttpBridgeOptions = { postBodyLimit: 8192, requireIp: [], requireTls: false };

/** May subscribe and call everything, publish nothing: the role of a bridge that must be refused. */
export const listenerRole: RoleConfig = {
  name: 'listener',
  permissions: [{
    uri: '', match: 'prefix', cache: true,
    allow: { call: false, register: false, publish: false, subscribe: true },
    disclose: { caller: false, publisher: false },
  }],
};

/** testConfig() (realm1, /ws) with the given bridge paths, realm1 strict about URIs and with the "listener" role. */
export function bridgeConfig(paths: Record<string, PathService>, trustedProxies: string[] = []): JunctionConfig {
  const config = testConfig();
  const realm = config.realms[0]!;
  realm.options.uriCheck = 'strict';
  realm.roles.push(listenerRole);
  const listener = config.listeners[0]!;
  Object.assign(listener.paths, paths);
  listener.trustedProxies = trustedProxies;
  return config;
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON when it is JSON. */
  json: any;
}

/** POSTs `body` (a string as is, anything else as JSON) with Content-Type application/json unless told otherwise. */
export async function post(url: string, body: unknown, init: { headers?: Record<string, string>; method?: string } = {}): Promise<Answer> {
  let payload: string | Blob | undefined;
  if (body instanceof Uint8Array) payload = new Blob([Buffer.from(body)]);
  else if (typeof body === 'string') payload = body;
  else if (body !== undefined) payload = JSON.stringify(body);
  const response = await fetch(url, {
    method: init.method ?? 'POST',
    headers: { 'content-type': 'application/json', ...init.headers },
    body: payload,
  });
  const text = await response.text();
  let json: unknown;
  if (response.headers.get('content-type')?.startsWith('application/json')) json = JSON.parse(text);
  return { status: response.status, headers: response.headers, text, json };
}

export interface ReceivedEvent {
  args: unknown[];
  kwargs: Record<string, unknown>;
  details: any;
}

/** Every event an AutobahnJS session receives on a subscription, in order; `next()` waits for the following one. */
export class EventLog {
  readonly events: ReceivedEvent[] = [];
  private taken = 0;
  private waiter: (() => void) | undefined;

  static async subscribe(session: any, topic: string, options: Record<string, unknown> = {}): Promise<EventLog> {
    const log = new EventLog();
    await session.subscribe(topic, (args: unknown[] = [], kwargs: Record<string, unknown> = {}, details: any) => {
      log.events.push({ args, kwargs, details });
      log.waiter?.();
    }, options);
    return log;
  }

  async next(): Promise<ReceivedEvent> {
    while (this.events.length <= this.taken) await new Promise<void>((resolve) => (this.waiter = resolve));
    return this.events[this.taken++]!;
  }
}
