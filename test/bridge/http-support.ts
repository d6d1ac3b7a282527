import { connect } from 'node:net';
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

export interface PipelinedRequest {
  path: string;
  /** Sent as is (a string), or as JSON. */
  body: unknown;
  headers?: Record<string, string>;
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  json: any;
}

/**
 * Writes every request to one new connection in ONE socket write (HTTP/1.1 pipelining, as a
 * client that batches does) and reads the answers in the order they come, each by its
 * Content-Length. Resolves once there is an answer for each, or fails after `timeoutMs`.
 */
export function postPipelined(port: number, requests: PipelinedRequest[], timeoutMs = 5_000): Promise<RawAnswer[]> {
  const wire = Buffer.concat(requests.map(({ path, body, headers }) => {
    const payload = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const head = { 'content-type': 'application/json', ...headers, 'content-length': String(payload.length) };
    const lines = [`POST ${path} HTTP/1.1`, 'host: 127.0.0.1', ...Object.entries(head).map(([name, value]) => `${name}: ${value}`)];
    return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), payload]);
  }));
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(wire));
    const answers: RawAnswer[] = [];
    let pending = Buffer.alloc(0);
    const timer = setTimeout(() => fail(new Error(`${answers.length} of ${requests.length} pipelined requests answered within ${timeoutMs} ms`)), timeoutMs);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error(`the connection closed after ${answers.length} of ${requests.length} answers`)));
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (let answer = takeAnswer(); answer; answer = takeAnswer()) answers.push(answer);
      if (answers.length < requests.length) return;
      clearTimeout(timer);
      socket.removeAllListeners('close');
      socket.destroy();
      resolve(answers);
    });
    // One whole answer off the front of `pending`, or undefined while it is still incomplete.
    function takeAnswer(): RawAnswer | undefined {
      const end = pending.indexOf('\r\n\r\n');
      if (end < 0) return undefined;
      const [statusLine, ...headerLines] = pending.subarray(0, end).toString('latin1').split('\r\n');
      const headers = Object.fromEntries(headerLines.map((line) => {
        const colon = line.indexOf(':');
        return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
      }));
      const length = Number(headers['content-length'] ?? 0);
      if (pending.length < end + 4 + length) return undefined;
      const text = pending.subarray(end + 4, end + 4 + length).toString('utf8');
      pending = pending.subarray(end + 4 + length);
      const json = headers['content-type']?.startsWith('application/json') ? JSON.parse(text) : undefined;
      return { status: Number(statusLine!.split(' ')[1]), headers, json };
    }
  });
}
