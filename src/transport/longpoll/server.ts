import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MetricsRegistry, type Counter, type Gauge } from '../../metrics/registry.js';
import type { Logger } from '../../router/log.js';
import { ConnectionSlots, type SlotRefusal } from '../connection-slots.js';
import type { AttachPeer } from '../websocket-service.js';
import { readLimitedBody } from '../http-body.js';
import { answerPreflight, sendEmpty, sendError, sendJson, setStandardHeaders } from './http.js';
import { httpPollReply, relayedPollReply, type RelayedPollReply } from './poll-reply.js';
import { clusterTransportId, transportNode, type LongPollCluster, type RelayedAnswer, type RelayedRequest } from './relay.js';
import { chooseProtocol, type LongPollProtocol } from './protocols.js';
import { LongPollTransport } from './transport.js';
import { plural } from '../../protocol/plural.js';
import { PerKeyLogThrottle } from '../../router/limits/warning-throttle.js';

export interface LongPollServerOptions {
  /** What this endpoint speaks, in our order (the client's order of preference decides). */
  protocols: readonly LongPollProtocol[];
  requestTimeoutMs: number;
  sessionTimeoutMs: number;
  queueLimitBytes: number;
  queueLimitMessages: number;
  /** Largest `send` body (one message or one batch), bytes. A larger one: 413, and the transport is closed. */
  maxMessageSize: number;
  /** Messages nesting lists and dicts deeper than this abort their session (default DEFAULT_MAX_NESTING_DEPTH). */
  maxNestingDepth?: number;
  /** Transports open at once; more `open`s are refused with 503 (0: no limit). */
  maxTransports: number;
  /** Transports one client address may hold open; more `open`s are refused with 429 (0: no limit). */
  maxPerAddress: number;
  /** The client's address ("1.2.3.4", what the per-address cap counts) and label ("tcp4:1.2.3.4:5678"), trusted proxies considered. */
  clientAddress(request: IncomingMessage): { address: string; label: string };
  /** For metrics and logs: the path this endpoint is mounted at. */
  path: string;
  /** In a cluster: requests for transports of other nodes are relayed to them (relay.ts). */
  cluster?: LongPollCluster;
  /**
   * Crossbar's debug_transport_id: the id every open gets, in place of a random one. As in
   * Crossbar, a later open takes the id over; the earlier transport lives on, unreachable by its
   * id, until its session ends or session_timeout passes (its held receive still gets its events).
   */
  fixedTransportId?: string;
  /** Whether the node is stopping: a new `open` is then refused (503) as after closeAll, while the transports open keep working. */
  stopping?(): boolean;
}

/** A relayed send or close waits this long for the transport's node (a receive waits request_timeout longer). */
const RELAY_TIMEOUT_MS = 10_000;
const noSuchTransport = 'no such long-poll transport (it was closed, timed out, or never existed): open a new one';
const transportClosed = (transport: LongPollTransport): string => `the transport is closed: ${transport.closedBecause}`;

/** Bytes of randomness in a transport id: 128 bits, written as 22 URL-safe base64 characters. */
const TRANSPORT_ID_BYTES = 16;
/** An `open` body is a small JSON object; nothing legitimate comes near this. */
const OPEN_BODY_LIMIT = 4_096;
/** Protocols one `open` may offer (there are six). */
const MAX_OFFERED_PROTOCOLS = 16;
/** At most one warning per client address this often about opens refused at a cap. */
const CAP_WARNING_INTERVAL_MS = 10_000;

/** The answer to an `open` over a cap: the path is full (503), or the address holds its share (429). */
const capRefusals: Record<SlotRefusal, { status: number; error: string; describe(options: LongPollServerOptions): string }> = {
  service_full: {
    status: 503,
    error: 'too_many_transports',
    describe: (options) => `this endpoint already has ${plural(options.maxTransports, 'transport')} open; try again later`,
  },
  address_full: {
    status: 429,
    error: 'too_many_transports_from_address',
    describe: (options) => `your address already holds ${plural(options.maxPerAddress, 'transport')} on this endpoint; close one first`,
  },
};

/** A new transport id: unguessable, URL-safe, never reused in practice. */
export function newTransportId(): string {
  return randomBytes(TRANSPORT_ID_BYTES).toString('base64url');
}

type Route = { kind: 'open' } | { kind: 'transport'; id: string; operation: 'send' | 'receive' | 'close' } | { kind: 'none' };

function route(subpath: string): Route {
  const parts = subpath.split('/').slice(1);
  if (parts.length === 1 && parts[0] === 'open') return { kind: 'open' };
  if (parts.length === 2 && (parts[1] === 'send' || parts[1] === 'receive' || parts[1] === 'close')) {
    return { kind: 'transport', id: parts[0]!, operation: parts[1] };
  }
  return { kind: 'none' };
}

interface LongPollCounters {
  opened: Counter;
  refusedOpens: Counter;
  slowConsumers: Counter;
  sessionTimeouts: Counter;
  oversized: Counter;
  relayed: Counter;
  relayFailures: Counter;
  open: Gauge;
}

/**
 * WAMP over HTTP long-poll, the protocol AutobahnJS and Crossbar speak, below one base URL:
 * POST <base>/open {"protocols": [...]} -> {"transport": id, "protocol": p};
 * POST <base>/<id>/send (one message or batch) -> 204; POST <base>/<id>/receive -> the next
 * message(s), held until one comes or request_timeout passes (then 204);
 * POST <base>/<id>/close -> 204. Every transport is a router session of its own.
 */
export class LongPollServer {
  private readonly transports = new Map<string, LongPollTransport>();
  /** Transports whose fixed id a later open took over: still sessions, no longer reachable by id. */
  private readonly supplanted = new Set<LongPollTransport>();
  private readonly counters: LongPollCounters;
  /** Open transports (not yet closed) per service and per client address. */
  private readonly slots: ConnectionSlots;
  private readonly capWarnings = new PerKeyLogThrottle(CAP_WARNING_INTERVAL_MS);
  private shuttingDown = false;
  /** Receives relayed from other nodes and not yet answered, by relaying node and poll number. */
  private readonly relayedPolls = new Map<string, RelayedPollReply>();
  private lastRelayedPoll = 0;

  constructor(
    private readonly attach: AttachPeer,
    private readonly options: LongPollServerOptions,
    private readonly log: Logger,
    metrics: MetricsRegistry = new MetricsRegistry(),
  ) {
    this.slots = new ConnectionSlots({ total: options.maxTransports, perKey: options.maxPerAddress });
    const path = { path: options.path };
    this.counters = {
      opened: metrics.counter('junction_longpoll_opened_total', 'Long-poll transports opened'),
      refusedOpens: metrics.counter('junction_longpoll_refused_opens_total', 'Long-poll opens refused (bad request, no common protocol, a connection cap), by reason'),
      slowConsumers: metrics.counter('junction_longpoll_slow_consumer_closed_total', 'Long-poll transports closed because their queue passed queue_limit_bytes or queue_limit_messages'),
      sessionTimeouts: metrics.counter('junction_longpoll_session_timeouts_total', 'Long-poll transports closed after session_timeout without a request'),
      oversized: metrics.counter('junction_longpoll_oversized_messages_total', 'Long-poll transports closed (413) for a send body over max_message_size'),
      relayed: metrics.counter('junction_longpoll_relayed_total', 'Long-poll requests relayed to the cluster node holding their transport, by operation'),
      relayFailures: metrics.counter('junction_longpoll_relay_failures_total', 'Relayed long-poll requests that got no answer, by reason (gone, unserved, timeout, refused)'),
      open: metrics.gauge('junction_longpoll_transports', 'Long-poll transports currently known'),
    };
    this.counters.open.set(0, path);
  }

  get transportCount(): number {
    return this.transports.size + this.supplanted.size;
  }

  /** Whether a request to `subpath` is for one of this server's open transports ("/<id>/send"...). */
  holds(subpath: string): boolean {
    const target = route(subpath);
    return target.kind === 'transport' && this.transports.has(target.id);
  }

  /** Handles a request for this endpoint; `subpath` is what follows the base path ("/open", "/<id>/send"). */
  handle(request: IncomingMessage, response: ServerResponse, subpath: string): void {
    setStandardHeaders(request, response);
    if (request.method === 'OPTIONS') return answerPreflight(request, response);
    const target = route(subpath);
    if (target.kind === 'none') {
      request.resume();
      return sendError(response, 404, 'not_found', subpath === ''
        ? 'this is a WAMP long-poll endpoint: POST <this URL>/open with {"protocols": ["wamp.2.json"]} to open a transport'
        : `no long-poll operation at ${subpath}: use /open, /<transport>/send, /<transport>/receive or /<transport>/close`);
    }
    if (request.method !== 'POST') {
      request.resume();
      return sendError(response, 405, 'method_not_allowed', `${request.method} is not allowed here: the long-poll protocol uses POST`);
    }
    if (target.kind === 'open') {
      void this.open(request, response);
      return;
    }
    const transport = this.transports.get(target.id);
    if (!transport) {
      const node = transportNode(target.id);
      if (this.options.cluster && node !== undefined && node !== this.options.cluster.nodeId) {
        void this.relay(this.options.cluster, node, target, request, response);
        return;
      }
      request.resume();
      return sendError(response, 404, 'no_such_transport', noSuchTransport);
    }
    switch (target.operation) {
      case 'send':
        void this.send(transport, request, response);
        return;
      case 'receive':
        request.resume();
        if (transport.closed) return sendError(response, 410, 'transport_closed', transportClosed(transport));
        return transport.poll(httpPollReply(response));
      case 'close':
        request.resume();
        this.forget(transport, 'closed by the client');
        return sendEmpty(response);
    }
  }

  private get refusesOpens(): boolean {
    return this.shuttingDown || (this.options.stopping?.() ?? false);
  }

  /** Shutdown: answers every held receive and detaches every transport. */
  closeAll(): void {
    this.shuttingDown = true;
    for (const transport of [...this.transports.values(), ...this.supplanted]) this.forget(transport, 'the router is shutting down');
  }

  private async open(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const refuse = (status: number, error: string, message: string, close = false): void => {
      this.counters.refusedOpens.inc({ reason: error });
      sendError(response, status, error, message, close);
    };
    if (this.refusesOpens) return refuse(503, 'shutting_down', 'the router is shutting down', true);
    const read = await readLimitedBody(request, OPEN_BODY_LIMIT);
    if (!read.ok) {
      if (read.reason === 'too_large') refuse(413, 'body_too_large', `an open request body may have at most ${OPEN_BODY_LIMIT} bytes`, read.closeConnection);
      return;
    }
    const offers = parseOpenBody(read.body);
    if (typeof offers === 'string') return refuse(400, 'bad_open_request', offers);
    const protocol = chooseProtocol(offers, this.options.protocols);
    if (!protocol) {
      const ours = this.options.protocols.map((candidate) => candidate.name).join(', ');
      return refuse(400, 'no_common_protocol', `none of the offered protocols (${offers.join(', ') || 'none'}) is spoken here; this endpoint speaks: ${ours}`);
    }
    if (this.refusesOpens) return refuse(503, 'shutting_down', 'the router is shutting down', true);
    const client = this.options.clientAddress(request);
    const slot = this.slots.acquire(client.address);
    if (typeof slot === 'string') {
      const { status, error, describe } = capRefusals[slot];
      if (this.capWarnings.allow(client.address)) {
        this.log.warn({ address: client.address, reason: error, transports: this.slots.total, fromAddress: this.slots.count(client.address) },
          'long-poll open refused at a connection cap (further refusals for this address are counted, not logged, for 10 s)');
      }
      return refuse(status, error, describe(this.options));
    }

    const id = this.options.fixedTransportId
      ?? (this.options.cluster ? clusterTransportId(this.options.cluster.nodeId, newTransportId()) : newTransportId());
    const label = client.label;
    const log = this.log.child({ peer: label });
    const transport = new LongPollTransport(id, { type: 'longpoll', serializer: protocol.codec.name, peer: label, extra: { protocol: protocol.name } }, {
      protocol,
      requestTimeoutMs: this.options.requestTimeoutMs,
      sessionTimeoutMs: this.options.sessionTimeoutMs,
      queueLimitBytes: this.options.queueLimitBytes,
      queueLimitMessages: this.options.queueLimitMessages,
      maxNestingDepth: this.options.maxNestingDepth,
      log,
      onSlowConsumer: () => this.counters.slowConsumers.inc(),
      onSessionTimeout: () => this.counters.sessionTimeouts.inc(),
      onClosed: () => slot.release(),
      onExpired: (expired) => this.remove(expired),
    });
    const earlier = this.transports.get(id);
    if (earlier) this.supplanted.add(earlier);
    this.transports.set(id, transport);
    this.counters.open.add(1, { path: this.options.path });
    this.counters.opened.inc();
    transport.connect(this.attach(transport));
    log.debug({ protocol: protocol.name }, 'long-poll transport opened');
    sendJson(response, { transport: id, protocol: protocol.name });
  }

  private async send(transport: LongPollTransport, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const read = await readLimitedBody(request, this.options.maxMessageSize);
    if (!read.ok) {
      if (read.reason === 'aborted') return;
      this.counters.oversized.inc();
      this.log.warn({ limitBytes: this.options.maxMessageSize }, 'long-poll send body larger than max_message_size; transport closed');
      this.forget(transport, 'message too large');
      return sendError(response, 413, 'message_too_large', `a send body may have at most ${this.options.maxMessageSize} bytes; the transport is closed`, read.closeConnection);
    }
    if (transport.closed) return sendError(response, 410, 'transport_closed', transportClosed(transport));
    const outcome = transport.deliver(read.body);
    if (!outcome.ok) return sendError(response, 400, 'bad_message', outcome.reason);
    sendEmpty(response);
  }

  /** A request for a transport another node holds: relayed there over the backplane, its answer written here. */
  private async relay(cluster: LongPollCluster, node: string, target: Extract<Route, { kind: 'transport' }>, request: IncomingMessage,
    response: ServerResponse): Promise<void> {
    const relayed: RelayedRequest = { path: this.options.path, transport: target.id, operation: target.operation };
    let timeoutMs = RELAY_TIMEOUT_MS;
    if (target.operation === 'send') {
      const read = await readLimitedBody(request, this.options.maxMessageSize);
      if (!read.ok) {
        if (read.reason === 'aborted') return;
        this.counters.oversized.inc();
        void cluster.relay(node, { ...relayed, operation: 'close' }, RELAY_TIMEOUT_MS).catch(() => {});
        return sendError(response, 413, 'message_too_large', `a send body may have at most ${this.options.maxMessageSize} bytes; the transport is closed`, read.closeConnection);
      }
      relayed.body = read.body;
    } else request.resume();
    if (target.operation === 'receive') {
      const poll = (relayed.poll = ++this.lastRelayedPoll);
      timeoutMs += this.options.requestTimeoutMs;
      response.on('close', () => {
        if (!response.writableEnded) cluster.abandon(node, poll);
      });
    }
    let answer: RelayedAnswer;
    this.counters.relayed.inc({ operation: target.operation });
    try {
      answer = await cluster.relay(node, relayed, timeoutMs);
    } catch (error) {
      const failure = error as Error & { reason?: string };
      this.counters.relayFailures.inc({ reason: failure.reason ?? 'refused' });
      if (failure.reason === 'gone' || failure.reason === 'unserved') {
        return sendError(response, 404, 'no_such_transport', `the router node that held this transport (${node}) left the cluster or was restarted: open a new one`);
      }
      this.log.warn({ other_node: node, operation: target.operation, err: failure }, 'a long-poll request relayed to another router node failed');
      const why = `the router node holding this transport (${node}) did not answer: ${failure.message}`;
      if (failure.reason === 'timeout') return sendError(response, 504, 'relay_failed', why);
      return sendError(response, 502, 'relay_failed', why);
    }
    if (response.destroyed) return;
    const headers: Record<string, string | number> = { 'content-length': answer.body?.byteLength ?? 0 };
    if (answer.contentType !== undefined) headers['content-type'] = answer.contentType;
    response.writeHead(answer.status, headers);
    response.end(answer.body === undefined ? undefined : Buffer.from(answer.body.buffer, answer.body.byteOffset, answer.body.byteLength));
  }

  /** Runs a request relayed from another node for one of this server's transports; undefined when it holds no such transport. */
  answerRelayed(request: RelayedRequest, from: string): Promise<RelayedAnswer> | undefined {
    const transport = this.transports.get(request.transport);
    if (!transport) return undefined;
    const error = (status: number, code: string, message: string): RelayedAnswer =>
      ({ status, contentType: 'application/json; charset=utf-8', body: Buffer.from(JSON.stringify({ error: code, message })) });
    switch (request.operation) {
      case 'close':
        this.forget(transport, 'closed by the client');
        return Promise.resolve({ status: 204 });
      case 'send': {
        if (transport.closed) return Promise.resolve(error(410, 'transport_closed', transportClosed(transport)));
        const outcome = transport.deliver(Buffer.from(request.body ?? new Uint8Array()));
        return Promise.resolve(outcome.ok ? { status: 204 } : error(400, 'bad_message', outcome.reason));
      }
      case 'receive': {
        if (transport.closed) return Promise.resolve(error(410, 'transport_closed', transportClosed(transport)));
        return new Promise((resolve) => {
          const reply = relayedPollReply(resolve);
          const key = `${from}\u0000${request.poll}`;
          this.relayedPolls.set(key, reply);
          void reply.answered.then(() => this.relayedPolls.delete(key));
          transport.poll(reply);
        });
      }
    }
  }

  /** The client of a receive relayed from `from` gave up. */
  abandonRelayed(from: string, poll: number): void {
    this.relayedPolls.get(`${from}\u0000${poll}`)?.abandon();
  }

  private forget(transport: LongPollTransport, reason: string): void {
    transport.dispose(reason);
    this.remove(transport);
  }

  private remove(transport: LongPollTransport): void {
    if (this.transports.get(transport.id) === transport) this.transports.delete(transport.id);
    else if (!this.supplanted.delete(transport)) return;
    this.counters.open.add(-1, { path: this.options.path });
  }
}

/** The protocols an `open` body offers, or what is wrong with it. */
function parseOpenBody(body: Buffer): string[] | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (error) {
    return `the open request body is not JSON (${(error as Error).message}); send {"protocols": ["wamp.2.json"]}`;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return 'the open request body must be a JSON object such as {"protocols": ["wamp.2.json"]}';
  }
  const protocols = (parsed as { protocols?: unknown }).protocols;
  if (!Array.isArray(protocols) || protocols.length === 0 || !protocols.every((item) => typeof item === 'string')) {
    return '"protocols" must be a non-empty list of protocol names such as ["wamp.2.json"]';
  }
  if (protocols.length > MAX_OFFERED_PROTOCOLS) return `"protocols" may name at most ${MAX_OFFERED_PROTOCOLS} protocols`;
  return protocols as string[];
}
