import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorUri } from '../../protocol/errors.js';
import type { Event } from '../../protocol/messages.js';
import type { MatchPolicy } from '../../protocol/uri.js';
import { MetricsRegistry, type Counter, type Gauge } from '../../metrics/registry.js';
import { clipped, type Logger } from '../../router/log.js';
import type { Peer, SessionLink } from '../../router/peer.js';
import { ConnectionSlots, type Slot, type SlotRefusal } from '../connection-slots.js';
import type { PublicationPosition } from '../../router/broker/publication-positions.js';
import { eventData, eventMessage, formatMessage, formatNotice } from './sse-format.js';
import { EventFeed } from './sse-feed.js';
import { SsePeer, SseSessionRefusal, type SseIdentity } from './sse-peer.js';
import { parseSseRequest, SseRequestError, type SseRequest } from './sse-request.js';
import { covers, formatEventId, merged, parseResumePoint, raise, reached, type ResumePoint } from './sse-resume-point.js';

type InvalidPoint = Extract<ReturnType<typeof parseResumePoint>, { kind: 'invalid' }>;
import { planResume, topicOf, type HistoryEvent, type TopicHistory } from './sse-resume.js';
import { SseStream, type SseEndCause } from './sse-stream.js';
import { plural } from '../../protocol/plural.js';
import { requestPath } from '../request-path.js';
import { PerKeyLogThrottle } from '../../router/limits/warning-throttle.js';

/** A subscription the stream's session holds. */
export interface StreamSubscription {
  id: number;
  uri: string;
  match: MatchPolicy;
}

export interface SseServiceOptions {
  /** The realm every stream's session joins. */
  realm: string;
  /** Topics one request may name. */
  maxTopics: number;
  /** Cookie that may hold the ticket. */
  cookieName: string;
  /** A comment line is written after this many ms of silence. */
  heartbeatMs: number;
  /** Slow-consumer limit per stream, bytes. */
  maxBufferedBytes: number;
  /** Streams open at once; more requests get 503 (0: no limit). */
  maxStreams: number;
  /** Streams one client address may hold; more get 429 (0: no limit). */
  maxPerAddress: number;
  /** `retry:` advice, ms. */
  retryMs: number;
  /** Attaches a session to the router through this service's auth gate. */
  attach(peer: Peer): SessionLink;
  /**
   * The stored events of a subscription, as `reader` may see them (oldest first); undefined when
   * no history is kept for it. Must be synchronous: the resume seam relies on it (see `resume`).
   */
  history(subscription: StreamSubscription, reader: SseIdentity): KeptEvents | undefined;
  /** The publication positions of a realm's broker (undefined: no such realm any more). */
  positions(realm: string): PositionView | undefined;
  /** How long a resume from a bare publication ID this node has not heard yet waits for it, ms. */
  resumeWaitMs: number;
  /** The client's address ("1.2.3.4", what the per-address cap counts) and label ("tcp4:1.2.3.4:5678"), trusted proxies considered. */
  clientAddress(request: IncomingMessage): { address: string; label: string };
  log: Logger;
  metrics?: MetricsRegistry;
}

/** What a history holds for a stream's subscription (see TopicHistory). */
export type KeptEvents = Pick<TopicHistory, 'droppedUpTo'> & { events: readonly HistoryEvent[] };

/** The realm broker's positions as a stream reads them (PublicationPositions). */
export interface PositionView {
  /** The highest seq heard from each source. */
  readonly all: ReadonlyMap<string, number>;
  /** The position of the publication being delivered now. */
  readonly delivering: PublicationPosition | undefined;
}

/** The SSE event a stream gets before a replay that cannot be exact (docs/sse.md). */
export const RESUME_GAP_EVENT = 'junction.resume_gap';

/** How a resume went, for junction_sse_resumes_total. */
type ResumeOutcome = 'exact' | 'ahead' | 'waited' | 'gap' | 'live';

/** The advice a new stream gets: EventSource waits this long before reconnecting (the browsers' own default is about 3 s). */
export const DEFAULT_RETRY_MS = 3_000;

interface SseMetrics {
  opened: Counter;
  refused: Counter;
  ended: Counter;
  open: Gauge;
  capped: Counter;
  resumes: Counter;
}

/** At most one warning per client address this often about streams refused at a cap. */
const CAP_WARNING_INTERVAL_MS = 10_000;

/** The answer to a request over a cap: the service is full (503), or its address holds its share (429). */
const capRefusals: Record<SlotRefusal, { status: number; error: string; describe(options: SseServiceOptions): string }> = {
  service_full: {
    status: 503,
    error: 'too_many_streams',
    describe: (options) => `this path already has ${plural(options.maxStreams, 'stream')} open; try again later`,
  },
  address_full: {
    status: 429,
    error: 'too_many_streams_from_address',
    describe: (options) => `your address already holds ${plural(options.maxPerAddress, 'stream')} on this path; close one first`,
  },
};

/**
 * Server-Sent Events for clients without a WAMP library: `GET <path>?topic=...` becomes a real
 * session of the router that signs in (anonymous, or a ticket from the query, a cookie or a Bearer
 * header), subscribes to each topic and streams the events. Every refusal (no topic, sign-in
 * refused, a subscription not authorized) is a 4xx JSON answer before any stream starts: the
 * 200 headers are written only once the session holds every subscription.
 */
export class SseService {
  private readonly active = new Map<SseStream, SsePeer>();
  private readonly metrics: SseMetrics;
  private readonly slots: ConnectionSlots;
  private readonly capWarnings = new PerKeyLogThrottle(CAP_WARNING_INTERVAL_MS);
  private closing = false;

  constructor(private readonly options: SseServiceOptions) {
    const registry = options.metrics ?? new MetricsRegistry();
    this.metrics = {
      opened: registry.counter('junction_sse_streams_opened_total', 'SSE streams that started (200)'),
      refused: registry.counter('junction_sse_refused_total', 'SSE requests answered with an error instead of a stream, by status'),
      ended: registry.counter('junction_sse_streams_ended_total', 'SSE streams that ended, by cause (client, server, slow_consumer)'),
      open: registry.gauge('junction_sse_streams_open', 'SSE streams open now'),
      capped: registry.counter('junction_sse_capped_total', 'SSE requests refused at a connection cap, by reason (too_many_streams, too_many_streams_from_address)'),
      resumes: registry.counter('junction_sse_resumes_total',
        'SSE streams resumed with Last-Event-ID, by outcome (exact, ahead: past what this node had heard, waited, gap: a junction.resume_gap event was sent, live: nothing to replay)'),
    };
    this.slots = new ConnectionSlots({ total: options.maxStreams, perKey: options.maxPerAddress });
  }

  get streamCount(): number {
    return this.active.size;
  }

  /** Serves one request routed to this service's path. */
  handle(request: IncomingMessage, response: ServerResponse): void {
    this.serve(request, response).catch((error: unknown) => {
      this.options.log.error({ err: error }, 'SSE request failed');
      if (!response.headersSent) response.writeHead(500).end();
      else response.destroy();
    });
  }

  /** Ends every stream (shutdown); requests that arrive afterwards get 503. */
  closeAll(): void {
    this.closing = true;
    for (const [stream, peer] of [...this.active]) {
      stream.end('the router is shutting down');
      peer.leave();
    }
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const { log } = this.options;
    const client = this.options.clientAddress(request);
    const peerLabel = client.label;
    const peer = new SsePeer({ type: 'sse', serializer: 'json', peer: peerLabel, extra: { path: requestPath(request.url) } });
    // Held from before the session attaches until the stream ends, whatever ends it (onEnd runs once).
    let slot: Slot | undefined;
    const stream = new SseStream(response, {
      heartbeatMs: this.options.heartbeatMs,
      maxBufferedBytes: this.options.maxBufferedBytes,
      retryMs: this.options.retryMs,
      onEnd: (cause) => {
        slot?.release();
        this.ended(stream, peer, cause, peerLabel);
      },
    });

    if (request.method !== 'GET') {
      return stream.refuse(405, { error: 'method_not_allowed', message: `use GET (an EventSource) on this path, not ${request.method}` }, { allow: 'GET' });
    }
    if (this.closing) return stream.refuse(503, { error: 'unavailable', message: 'the router is shutting down' });
    let asked: SseRequest;
    try {
      asked = parseSseRequest(request.url ?? '/', request.headers, this.options);
    } catch (error) {
      if (!(error instanceof SseRequestError)) throw error;
      return stream.refuse(error.status, { error: error.code, message: error.message });
    }
    const taken = this.slots.acquire(client.address);
    if (typeof taken === 'string') return this.refuseAtCap(stream, taken, client.address);
    slot = taken;

    this.active.set(stream, peer);
    const feed = new EventFeed<HeldEvent>(this.options.maxBufferedBytes, (text) => void stream.write(text), () => {
      log.warn({ peer: peerLabel, limitBytes: this.options.maxBufferedBytes }, 'SSE: more events arrived during set-up than the stream may buffer; ending it');
      // Before the stream opened this is a 503; after (a long replay), a comment and the end.
      stream.end('too many events arrived while the stream was being set up; reconnect to resume');
    });

    const point = asked.lastEventId === undefined ? undefined : parseResumePoint(asked.lastEventId);
    const place = new StreamPlace(point?.kind === 'positions' ? point.seen : undefined);
    const arrivals = new PublicationWait();
    peer.connect((joining) => this.options.attach(joining));
    let identity: SseIdentity;
    let subscriptions: StreamSubscription[];
    try {
      identity = await peer.join(this.options.realm, asked.credential);
      place.watch(this.options.positions(identity.realm));
      peer.listen({
        event: (event, subscribedUri) => {
          if (!feed.repeats(event.publication)) {
            const topic = topicOf(event, subscribedUri);
            if (feed.holding) {
              const held = place.held(event, topic);
              if (held) feed.hold(event.publication, held, held.bytes);
            } else {
              const text = place.message(event, topic);
              if (text !== undefined) feed.push(text);
            }
          }
          arrivals.saw(event.publication);
        },
        revoked: (id, reason) => this.revoked(stream, subscriptions, id, reason),
        ended: (reason) => stream.end(`the session ended: ${reason}`),
      });
      // Several SUBSCRIBEs in flight at once; the session answers them in order.
      const ids = await Promise.all(asked.topics.map((topic) => peer.subscribe(topic.uri, topic.match)));
      subscriptions = asked.topics.map((topic, index) => ({ id: ids[index]!, ...topic }));
    } catch (error) {
      if (!(error instanceof SseSessionRefusal)) throw error;
      if (stream.active) {
        const refusal = httpRefusal(error, asked);
        stream.refuse(refusal.status, { error: refusal.code, message: refusal.message }, refusal.headers);
      }
      return;
    }
    if (!stream.active) return;

    stream.open();
    this.metrics.opened.inc();
    this.metrics.open.add(1);
    log.debug({ peer: peerLabel, authid: clipped(identity.authid), topics: asked.topics.length }, 'SSE stream open');
    const replayed = point ? await this.resume(stream, point, subscriptions, identity, place, arrivals) : new Set<number>();
    if (!stream.active) return;
    // The replay may have filled the buffer; live events stay held (bounded) until it drains.
    await stream.drained();
    if (stream.active) feed.release((held) => place.released(held), replayed);
  }

  /**
   * Writes the events the client missed, from event history; returns the publication IDs the
   * client now has (those replayed, and kept ones it had before), which the feed must not repeat.
   *
   * The seam between history and live events: the feed has held every live event since before the
   * first SUBSCRIBE. The broker records an event in history and hands it to subscribers in one
   * synchronous step, and the history read is synchronous too (in the same turn as the replay
   * is written), so every event is either already in the history read, or arrives later as a
   * live event, or both (published between SUBSCRIBED and now: held, and skipped at release
   * because the replay carried it). Nothing falls between the two, and nothing is sent twice.
   */
  private async resume(stream: SseStream, point: ResumePoint | InvalidPoint, subscriptions: StreamSubscription[], identity: SseIdentity,
    place: StreamPlace, arrivals: PublicationWait): Promise<Set<number>> {
    const replayed = new Set<number>();
    if (point.kind === 'invalid') {
      this.metrics.resumes.inc({ outcome: 'live' });
      stream.comment(point.reason);
      return replayed;
    }
    const read = (): TopicHistory[] => subscriptions.map((subscription) => ({
      uri: subscription.uri, match: subscription.match, ...this.options.history(subscription, identity) ?? { events: undefined },
    }));
    let plan = planResume(point, read());
    const waited = plan.kind === 'unknown';
    if (plan.kind === 'unknown') {
      // The event may still be on its way from another node: it arrives through this stream's own subscriptions.
      await arrivals.until(plan.publication, this.options.resumeWaitMs, stream);
      if (!stream.active) return replayed;
      plan = planResume(point, read(), { fromOldest: true });
    }
    // From here to the end, synchronous: the history read above and the live events held agree (see above).
    if (plan.kind !== 'replay') {
      this.metrics.resumes.inc({ outcome: 'live' });
      stream.comment(plan.kind === 'live' ? plan.reason : `event ${plan.publication} is not in the event history; live events only`);
      return replayed;
    }
    const ahead = point.kind === 'positions' && !place.hasReached(point.seen);
    const outcome: ResumeOutcome = plan.gap ? 'gap' : waited ? 'waited' : ahead ? 'ahead' : 'exact';
    this.metrics.resumes.inc({ outcome });
    if (plan.gap) stream.write(formatNotice(RESUME_GAP_EVENT, { reason: plan.gap }));
    for (const uri of plan.withoutHistory) stream.comment(`no event history is kept for "${uri}"; live events only for it`);
    if (plan.unplaced > 0) {
      stream.comment(`${plan.unplaced} kept events come from a node of an older version and carry no position: not replayed`);
    }
    // Kept events the client had may also have been held as live events, when they reached this node only now.
    for (const publication of plan.had) replayed.add(publication);
    // The client has had everything up to its resume point, and from here on each event replayed.
    const seen = new Map(point.kind === 'positions' ? point.seen : []);
    for (const { topic, event } of plan.events) {
      replayed.add(event.publication);
      if (event.position) raise(seen, event.position);
      stream.writeBacklog(formatMessage({ id: formatEventId(event.publication, seen), event: topic, data: eventData(event) }));
    }
    place.resumedAt(seen);
    return replayed;
  }

  private revoked(stream: SseStream, subscriptions: StreamSubscription[] | undefined, id: number, reason: string | undefined): void {
    const revoked = subscriptions?.find((subscription) => subscription.id === id);
    if (!subscriptions || !revoked) return;
    subscriptions.splice(subscriptions.indexOf(revoked), 1);
    const why = reason === undefined ? '' : ` (${reason})`;
    if (subscriptions.length === 0) stream.end(`the router removed the subscription to "${revoked.uri}"${why}; no topics are left`);
    else stream.comment(`the router removed the subscription to "${revoked.uri}"${why}`);
  }

  private refuseAtCap(stream: SseStream, refusal: SlotRefusal, address: string): void {
    const { status, error, describe } = capRefusals[refusal];
    this.metrics.capped.inc({ reason: error });
    if (this.capWarnings.allow(address)) {
      this.options.log.warn({ address, reason: error, streams: this.slots.total, fromAddress: this.slots.count(address) },
        'SSE stream refused at a connection cap (further refusals for this address are counted, not logged, for 10 s)');
    }
    stream.refuse(status, { error, message: describe(this.options) });
  }

  private ended(stream: SseStream, peer: SsePeer, cause: SseEndCause, peerLabel: string): void {
    peer.leave();
    this.active.delete(stream);
    if (cause === 'refused') return this.metrics.refused.inc({ status: String(stream.status) });
    if (!stream.opened) return; // the client left during set-up
    this.metrics.open.add(-1);
    this.metrics.ended.inc({ cause });
    if (cause === 'slow_consumer') {
      this.options.log.warn({ peer: peerLabel, bufferedBytes: stream.bufferedBytes, limitBytes: this.options.maxBufferedBytes },
        'SSE slow consumer: more than max_buffered_bytes waiting; stream ended');
    }
  }
}

/** A resume waiting for a publication to arrive through the stream's own subscriptions. */
class PublicationWait {
  private waiting: { publication: number; done(): void } | undefined;

  /** A live event reached the stream. */
  saw(publication: number): void {
    if (publication === this.waiting?.publication) this.waiting.done();
  }

  /** Resolves when `publication` arrives, after `ms`, or when the stream ends, whichever is first. */
  until(publication: number, ms: number, stream: SseStream): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiting = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiting = { publication, done };
      stream.whenEnded(done);
    });
  }
}

/** A live event that arrived while the stream was being set up; its message is made at release. */
interface HeldEvent {
  publication: number;
  topic: string;
  data: string;
  /** Where the stream stood when the event arrived: every source's highest position heard here (and the client's own place). */
  offered: ReadonlyMap<string, number>;
  /** What holding it costs, counted against max_buffered_bytes: about its message's length. */
  bytes: number;
}

/**
 * Where one stream stands, for the ids of its live events. Normally that is where its node
 * stands (every source's highest position heard here): the id is the same for every stream and
 * is made once per event. A stream that resumed from further than this node has heard (events
 * on their way here) stands at its own place until the node catches up: its events are given
 * ids of their own, and the events it already had are recognised by position and dropped.
 *
 * Events held during set-up are written after the replay, which may carry events that reached
 * this node after them (published while a SUBSCRIBE waited for its authorizer, say): their ids
 * are made at release, raised to where the replay left the stream, so that a resume from the
 * last id does not replay those again.
 */
class StreamPlace {
  private view: PositionView = noPositions;
  /** Where the replay left the stream (undefined: there was none); held events' ids cover it. */
  private replayed: ReadonlyMap<string, number> | undefined;
  /** Made once per stream, not per event: the live path allocates nothing here. */
  private readonly nodeId = (event: Event): string => formatEventId(event.publication, this.view.all);

  /** `ahead`: the client's own place, while this node may not have reached it. */
  constructor(private ahead: ReadonlyMap<string, number> | undefined) {}

  /** The positions of the realm the stream's session joined. */
  watch(view: PositionView | undefined): void {
    this.view = view ?? noPositions;
  }

  /** Whether this node has heard every position of `seen`. */
  hasReached(seen: ReadonlyMap<string, number>): boolean {
    return reached(this.view.all, seen);
  }

  /** The stream's place after a replay. */
  resumedAt(seen: ReadonlyMap<string, number>): void {
    this.replayed = seen;
    this.ahead = this.hasReached(seen) ? undefined : seen;
  }

  /** A live event arriving during set-up, as it is held; undefined if the client already had it. */
  held(event: Event, topic: string): HeldEvent | undefined {
    const ahead = this.ahead;
    if (ahead && covers(ahead, this.view.delivering)) return undefined;
    // A copy: the node's heads move on while the event waits.
    const offered = ahead ? merged(this.view.all, ahead) : new Map(this.view.all);
    if (ahead && this.hasReached(ahead)) this.ahead = undefined;
    const data = eventData(event);
    const bytes = formatEventId(event.publication, offered).length + topic.length + data.length;
    return { publication: event.publication, topic, data, offered, bytes };
  }

  /** The message of a held event, written after the replay (if any): its id covers what the replay carried. */
  released(held: HeldEvent): string {
    const offered = this.replayed ? merged(held.offered, this.replayed) : held.offered;
    return formatMessage({ id: formatEventId(held.publication, offered), event: held.topic, data: held.data });
  }

  /** The SSE message of a live event; undefined if the client already had it. */
  message(event: Event, topic: string): string | Uint8Array | undefined {
    const ahead = this.ahead;
    if (!ahead) return eventMessage(event, topic, this.nodeId);
    if (covers(ahead, this.view.delivering)) return undefined;
    const id = formatEventId(event.publication, merged(this.view.all, ahead));
    if (this.hasReached(ahead)) this.ahead = undefined;
    return formatMessage({ id, event: topic, data: eventData(event) });
  }
}

/** A realm gone by the time its stream asks: no positions (its ids then name none). */
const noPositions: PositionView = { all: new Map(), delivering: undefined };

/** The HTTP answer to a refused sign-in or subscription. */
function httpRefusal(error: SseSessionRefusal, asked: SseRequest): { status: number; code: string; message: string; headers?: Record<string, string> } {
  const challenge = { 'www-authenticate': 'Bearer' };
  if (error.stage === 'join') {
    switch (error.uri) {
      case ErrorUri.authenticationFailed:
        return { status: 401, code: 'authentication_failed', message: error.message, headers: challenge };
      case ErrorUri.noAuthMethod:
        return asked.credential
          ? { status: 401, code: 'ticket_not_accepted', message: `ticket sign-in is not offered on this stream: ${error.message}`, headers: challenge }
          : { status: 401, code: 'authentication_required', message: 'this stream needs a ticket (query ticket, cookie or Authorization: Bearer)', headers: challenge };
      case ErrorUri.noSuchRole:
      case ErrorUri.notAuthorized:
        return { status: 403, code: 'not_authorized', message: error.message };
      default:
        return { status: 503, code: 'unavailable', message: `the session could not join: ${error.uri}: ${error.message}` };
    }
  }
  switch (error.uri) {
    case ErrorUri.notAuthorized:
    case ErrorUri.authorizationFailed:
      return { status: 403, code: 'not_authorized', message: error.message };
    case ErrorUri.invalidUri:
      return { status: 400, code: 'invalid_uri', message: error.message };
    case ErrorUri.systemShutdown:
      return { status: 503, code: 'unavailable', message: error.message };
    default:
      return { status: 400, code: 'subscribe_refused', message: `${error.uri}: ${error.message}` };
  }
}
