import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Counter, Gauge, MetricsRegistry } from '../../metrics/registry.js';
import type { Args, Dict } from '../../protocol/messages.js';
import { plural } from '../../protocol/plural.js';
import type { Logger } from '../../router/log.js';
import { readLimitedBody } from '../http-body.js';
import { connectionAuthid, type PusherApp, type PusherLimits, type SessionSource } from './app.js';
import { EventDataRefusal, toPublication } from './payload.js';
import { channelKind, channelNameProblem } from './protocol.js';
import { apiSigningText, hmacHex, md5Hex, sameText } from './signatures.js';
import { PerKeyLogThrottle } from '../../router/limits/warning-throttle.js';

/** A signed request's auth_timestamp may differ from our clock by this much (Pusher's rule). */
export const API_TIMESTAMP_TOLERANCE_S = 600;
/** Channels one POST /events may name, and events one POST /batch_events may carry (Pusher's limits). */
export const MAX_EVENT_CHANNELS = 100;
export const MAX_BATCH_EVENTS = 10;
const MAX_EVENT_NAME_LENGTH = 200;
/** A refusal for max_api_requests_in_flight is logged at most this often; the metric counts every one. */
const BUSY_WARNING_INTERVAL_MS = 10_000;

/** An answer other than 200: its status and what was wrong. */
class ApiRefusal extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

interface Publish {
  channel: string;
  publication: { args: Args; kwargs: Dict };
  socketId?: string;
}

/**
 * Pusher's HTTP API at /apps/{app_id}/...: every request signed with the app's secret, events
 * published through the app's router session (so the realm's authorization applies), channel
 * facts read from the app's channels (the whole cluster's, in a cluster). At most
 * max_api_requests_in_flight requests are served at once; more are answered 503 at once.
 */
export class PusherHttpApi {
  private readonly requests: Counter;
  private readonly inFlightGauge: Gauge;
  private readonly busyWarnings = new PerKeyLogThrottle(BUSY_WARNING_INTERVAL_MS);
  private inFlight = 0;

  constructor(
    private readonly apps: ReadonlyMap<string, PusherApp>,
    private readonly sessions: SessionSource,
    private readonly limits: PusherLimits,
    private readonly log: Logger,
    metrics: MetricsRegistry,
    private readonly nowS: () => number = () => Date.now() / 1000,
  ) {
    this.requests = metrics.counter('junction_pusher_api_requests_total', 'Pusher HTTP API requests, by app and status (503: over max_api_requests_in_flight)');
    this.inFlightGauge = metrics.gauge('junction_pusher_api_requests_in_flight', 'Pusher HTTP API requests being served');
    this.inFlightGauge.set(0);
  }

  /** Bytes of a request body: a full batch of the largest events, with room for the JSON around them. */
  get bodyLimit(): number {
    return (MAX_BATCH_EVENTS + 1) * this.limits.maxEventSize + 64 * 1024;
  }

  /** `subpath` is what follows /apps: "/{app_id}/events". */
  handle(request: IncomingMessage, response: ServerResponse, subpath: string): void {
    if (this.inFlight >= this.limits.maxApiRequestsInFlight) return this.refuseBusy(response);
    this.inFlight++;
    this.inFlightGauge.set(this.inFlight);
    void this.serve(request, response, subpath).finally(() => this.inFlightGauge.set(--this.inFlight)).then(
      ({ app, status, body }) => this.reply(response, app, status, body),
      (error: Error) => {
        if (error instanceof ApiRefusal) return this.reply(response, undefined, error.status, { error: error.message });
        this.log.error({ err: error.message }, 'Pusher HTTP API request failed');
        this.reply(response, undefined, 500, { error: 'internal error' });
      },
    );
  }

  /** Over max_api_requests_in_flight: 503 before the body is read (so the connection is not kept). */
  private refuseBusy(response: ServerResponse): void {
    const limit = this.limits.maxApiRequestsInFlight;
    if (this.busyWarnings.allow('busy')) {
      this.log.warn({ limit }, 'Pusher HTTP API request refused with 503: max_api_requests_in_flight reached (further ones are counted, not logged, for 10 s)');
    }
    response.shouldKeepAlive = false;
    response.setHeader('retry-after', '1');
    this.reply(response, undefined, 503, { error: `over capacity: this server is handling ${plural(limit, 'HTTP API request')} already (max_api_requests_in_flight); retry shortly` });
  }

  private async serve(request: IncomingMessage, response: ServerResponse, subpath: string): Promise<{ app: PusherApp; status: number; body: unknown }> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const parts = subpath.split('/').slice(1).map(decodeURIComponent);
    const app = this.apps.get(parts[0] ?? '');
    if (!app) throw new ApiRefusal(404, `no app with id "${(parts[0] ?? '').slice(0, 64)}"`);
    const method = request.method ?? 'GET';
    let body: Buffer = Buffer.alloc(0);
    if (method === 'POST') {
      const read = await readLimitedBody(request, this.bodyLimit);
      if (!read.ok) {
        if (read.reason === 'too_large') {
          if (read.closeConnection) response.shouldKeepAlive = false;
          throw new ApiRefusal(413, `the request body is larger than ${this.bodyLimit} bytes`);
        }
        throw new ApiRefusal(400, 'the request body did not arrive');
      }
      body = read.body;
    }
    this.checkSignature(app, method, url, body);
    const route = parts.slice(1);
    const answer = await this.route(app, method, route, url.searchParams, body);
    return { app, status: 200, body: answer };
  }

  private checkSignature(app: PusherApp, method: string, url: URL, body: Buffer): void {
    const params = url.searchParams;
    if (params.get('auth_key') !== app.settings.key) throw new ApiRefusal(401, 'auth_key is missing or not this app\'s key');
    const timestamp = Number(params.get('auth_timestamp'));
    if (!Number.isFinite(timestamp) || Math.abs(this.nowS() - timestamp) > API_TIMESTAMP_TOLERANCE_S) {
      throw new ApiRefusal(401, `auth_timestamp must be the request's time in seconds since the epoch, within ${API_TIMESTAMP_TOLERANCE_S} s of the server's clock`);
    }
    if (params.get('auth_version') !== '1.0') throw new ApiRefusal(401, 'auth_version must be "1.0"');
    if (body.length > 0 && params.get('body_md5') !== md5Hex(body)) throw new ApiRefusal(401, 'body_md5 must be the MD5 (hex) of the request body');
    const signature = params.get('auth_signature') ?? '';
    const expected = hmacHex(app.settings.secret, apiSigningText(method, url.pathname, params));
    if (!sameText(signature, expected)) {
      throw new ApiRefusal(401, `auth_signature does not match: sign "METHOD\\npath\\nsorted query" (here ${JSON.stringify(apiSigningText(method, url.pathname, params))}) with the app's secret`);
    }
  }

  private async route(app: PusherApp, method: string, route: string[], query: URLSearchParams, body: Buffer): Promise<unknown> {
    const [first, second, third] = route;
    if (method === 'POST' && route.length === 1 && first === 'events') return this.events(app, parseBody(body));
    if (method === 'POST' && route.length === 1 && first === 'batch_events') return this.batchEvents(app, parseBody(body));
    if (method === 'GET' && route.length === 1 && first === 'channels') return this.channelList(app, query);
    if (method === 'GET' && route.length === 2 && first === 'channels') return this.channelInfo(app, second!, query);
    if (method === 'GET' && route.length === 3 && first === 'channels' && third === 'users') return this.channelUsers(app, second!);
    if (method === 'POST' && route.length === 3 && first === 'users' && third === 'terminate_connections') {
      app.terminateUser(second!);
      return {};
    }
    throw new ApiRefusal(404, `no ${method} /apps/{app_id}/${route.join('/')} in the Pusher HTTP API (events, batch_events, channels, channels/{name}, channels/{name}/users, users/{id}/terminate_connections)`);
  }

  private async events(app: PusherApp, body: Record<string, unknown>): Promise<unknown> {
    const channels = Array.isArray(body.channels) ? body.channels : body.channel !== undefined ? [body.channel] : undefined;
    if (!channels || channels.length === 0) throw new ApiRefusal(400, '"channels" must be a non-empty array of channel names (or give "channel")');
    if (channels.length > MAX_EVENT_CHANNELS) throw new ApiRefusal(400, `"channels" names ${channels.length} channels; at most ${MAX_EVENT_CHANNELS}`);
    const publishes = channels.map((channel) => this.checkPublish(app, { ...body, channel }, ''));
    await this.publishAll(app, publishes);
    const info = infoFields(body.info);
    if (info.length === 0) return {};
    const result: Record<string, unknown> = {};
    for (const { channel } of publishes) result[channel] = this.channelFacts(app, channel, info);
    return { channels: result };
  }

  private async batchEvents(app: PusherApp, body: Record<string, unknown>): Promise<unknown> {
    const batch = body.batch;
    if (!Array.isArray(batch) || batch.length === 0) throw new ApiRefusal(400, '"batch" must be a non-empty array of events');
    if (batch.length > MAX_BATCH_EVENTS) throw new ApiRefusal(400, `"batch" has ${batch.length} events; at most ${MAX_BATCH_EVENTS}`);
    const items = batch.map((item, index) => {
      if (!isObject(item)) throw new ApiRefusal(400, `batch[${index}] must be an object`);
      return { publish: this.checkPublish(app, item, `batch[${index}].`), info: infoFields(item.info) };
    });
    await this.publishAll(app, items.map((item) => item.publish));
    if (items.every((item) => item.info.length === 0)) return {};
    return { batch: items.map((item) => this.channelFacts(app, item.publish.channel, item.info)) };
  }

  private checkPublish(app: PusherApp, event: Record<string, unknown>, where: string): Publish {
    const { channel, name, data } = event;
    const nameProblem = channelNameProblem(channel);
    if (nameProblem !== undefined) throw new ApiRefusal(400, `${where}channel: ${nameProblem}`);
    const topicProblem = app.topicProblem(channel as string);
    if (topicProblem !== undefined) throw new ApiRefusal(400, topicProblem);
    if (typeof name !== 'string' || name === '' || name.length > MAX_EVENT_NAME_LENGTH) throw new ApiRefusal(400, `${where}name must be an event name of 1 to ${MAX_EVENT_NAME_LENGTH} characters`);
    if (typeof data !== 'string') throw new ApiRefusal(400, `${where}data must be a string (JSON text, as the SDKs send it)`);
    const size = Buffer.byteLength(data, 'utf8');
    if (size > this.limits.maxEventSize) throw new ApiRefusal(413, `${where}data has ${size} bytes, more than max_event_size (${this.limits.maxEventSize})`);
    const socketId = event.socket_id;
    if (socketId !== undefined && (typeof socketId !== 'string' || !/^\d+\.\d+$/.test(socketId))) throw new ApiRefusal(400, `${where}socket_id must look like "123.456"`);
    let publication;
    try {
      publication = toPublication(name, data, channelKind(channel as string), this.limits.maxNestingDepth);
    } catch (error) {
      if (error instanceof EventDataRefusal) throw new ApiRefusal(400, `${where}data refused: ${error.message}`);
      throw error;
    }
    return { channel: channel as string, publication, ...(socketId === undefined ? {} : { socketId }) };
  }

  /** Publishes every event (acknowledged); a refusal of the realm answers 403 naming the channels. */
  private async publishAll(app: PusherApp, publishes: Publish[]): Promise<void> {
    let session;
    try {
      session = await this.sessions.api(app.settings);
    } catch (error) {
      throw new ApiRefusal(503, `the app's session could not join realm "${app.settings.realm}": ${(error as Error).message}`);
    }
    const outcomes = await Promise.allSettled(publishes.map(({ channel, publication: { args, kwargs }, socketId }) => {
      // socket_id: that connection's session is excluded (by its authid, so on whichever node it is), as Pusher excludes the socket.
      return session.publishAcknowledged(app.topic(channel), args, kwargs, socketId === undefined ? {} : { exclude_authid: [connectionAuthid(socketId)] });
    }));
    const refused = outcomes.flatMap((outcome, index) => (outcome.status === 'rejected' ? [`${publishes[index]!.channel}: ${(outcome.reason as Error).message}`] : []));
    if (refused.length > 0) throw new ApiRefusal(403, `realm "${app.settings.realm}" refused the app's role "${app.settings.role}" publishing to ${refused.join('; ')}`);
  }

  private channelList(app: PusherApp, query: URLSearchParams): unknown {
    const prefix = query.get('filter_by_prefix') ?? '';
    const info = infoFields(query.get('info') ?? undefined);
    if (info.includes('user_count') && !prefix.startsWith('presence-')) throw new ApiRefusal(400, 'info=user_count needs filter_by_prefix=presence-');
    const channels: Record<string, unknown> = {};
    for (const channel of app.channels.names()) {
      if (channel.startsWith(prefix)) channels[channel] = info.includes('user_count') ? { user_count: app.channels.userIds(channel).length } : {};
    }
    return { channels };
  }

  private channelInfo(app: PusherApp, channel: string, query: URLSearchParams): unknown {
    const problem = channelNameProblem(channel);
    if (problem !== undefined) throw new ApiRefusal(400, problem);
    const info = infoFields(query.get('info') ?? undefined);
    if (info.includes('user_count') && channelKind(channel) !== 'presence') throw new ApiRefusal(400, 'info=user_count is for presence- channels only');
    return { occupied: app.channels.occupied(channel), ...this.channelFacts(app, channel, info) };
  }

  private channelUsers(app: PusherApp, channel: string): unknown {
    if (channelKind(channel) !== 'presence') throw new ApiRefusal(400, 'users are listed for presence- channels only');
    return { users: app.channels.userIds(channel).map((id) => ({ id })) };
  }

  /** The asked-for facts: subscription_count (every channel), user_count (presence channels). */
  private channelFacts(app: PusherApp, channel: string, info: string[]): Record<string, number> {
    const facts: Record<string, number> = {};
    if (info.includes('subscription_count')) facts.subscription_count = app.channels.subscriptionCount(channel);
    if (info.includes('user_count') && channelKind(channel) === 'presence') facts.user_count = app.channels.userIds(channel).length;
    return facts;
  }

  private reply(response: ServerResponse, app: PusherApp | undefined, status: number, body: unknown): void {
    this.requests.inc({ app: app?.settings.id ?? '', status: String(status) });
    const text = JSON.stringify(body);
    response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    response.end(text);
  }
}

function parseBody(body: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ApiRefusal(400, 'the request body must be JSON');
  }
  if (!isObject(value)) throw new ApiRefusal(400, 'the request body must be a JSON object');
  return value;
}

function infoFields(info: unknown): string[] {
  return typeof info === 'string' ? info.split(',').map((field) => field.trim()).filter((field) => field !== '') : [];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
