import { randomBytes } from 'node:crypto';
import type { IConnectPacket } from 'mqtt-packet';
import type { ProcedureCaller } from '../../auth/caller.js';
import type { ClientCertificate } from '../../auth/tls.js';
import type { MqttService as MqttSettings } from '../../config/model.js';
import type { Counter, Gauge, MetricsRegistry } from '../../metrics/registry.js';
import { boundLogger, clipped, type Logger } from '../../router/log.js';
import type { DoorSessionLink, Peer } from '../../router/peer.js';
import { ConnectionSlots } from '../connection-slots.js';
import { ByteBudget, SharedPayloads } from './byte-budget.js';
import type { ClientRegistry } from './client-registry.js';
import { ClientSession, type ClientSessionCounters, type WillMessage } from './client-session.js';
import { MqttConnection, type ConnectionCounters, type ConnectionSettings, type ConnectOutcome, type ConnectionHost, type MqttSocket } from './connection.js';
import { KeepaliveWheel } from './keepalive-wheel.js';
import { DynamicCodecs } from './dynamic-codec.js';
import { PayloadMapping, PayloadRefusal } from './payload-mapping.js';
import { fromPacket } from './properties.js';
import { connectRefusal, Reason, reasonForRouterError, refusalForAbort, type ConnectRefusal } from './reason-codes.js';
import { MqttRouterSession, RouterRefusal, type TicketCredential } from './router-session.js';
import { meterTopicNames, topicNameToUri, TopicRefusal } from './topics.js';
import { PerKeyLogThrottle } from '../../router/limits/warning-throttle.js';
import { ErrorUri } from '../../protocol/errors.js';

/** Inbound MQTT 5 topic aliases per connection (a small fixed table: aliases only save bytes). */
const topicAliasMaximum = 16;

/** What the listener knows of a connection that its session lists (junction.session.list's transport.extra). */
export interface MqttDoor {
  /** The client's TLS certificate, when the endpoint asked for one and it sent one. */
  certificate?: ClientCertificate;
  /** The web path, for MQTT over WebSocket: tells that door from the MQTT listener's. */
  path?: string;
}

/** What a CONNECT asks of its session, once its client id and expiry are settled. */
interface SessionRequest {
  clientId: string;
  /** The id we made up for an MQTT 5 client that sent none (told in CONNACK). */
  assignedClientId?: string;
  cleanStart: boolean;
  sessionExpiry: number;
  /** Its will, checked with the router once the client is signed in. */
  will: WillMessage | undefined;
}

/** A token bucket for new connections: `rate` per second, bursts of twice that. */
class ConnectionRate {
  private tokens: number;
  private last = Date.now();
  constructor(private readonly rate: number) {
    this.tokens = rate * 2;
  }

  take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.rate * 2, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** A gauge of what the clients' sessions hold, moved by each change (shown at 0 from the start). */
function gaugeAdder(gauge: Gauge, labels: { transport: string }): { add(by: number): void } {
  gauge.set(0, labels);
  return { add: (by) => gauge.add(by, labels) };
}

/**
 * The MQTT side of one transport: accepts connections, signs each client in as a router session
 * of the transport's realm (through the transport's auth gate: `attach`), keeps client sessions
 * by client id in the realm's registry (a second CONNECT with an id in use takes it over), and
 * holds the limits and metrics. Nothing here delivers or authorizes: the router does, as for every session.
 */
export class MqttService implements ConnectionHost {
  readonly mapping: PayloadMapping;
  /** Calls the encoders and decoders of its dynamic payload formats. */
  readonly codecs: DynamicCodecs;
  readonly maxCodecCallsPerConnection: number;
  private readonly connections = new Set<MqttConnection>();
  /** Closes the connections whose clients went silent, walking `connections` once a second. */
  readonly keepalive = new KeepaliveWheel(this.connections);
  /** The TLS client certificate of each connection that presented one: it may sign the client in (tls). */
  private readonly doors = new WeakMap<MqttConnection, MqttDoor>();
  /** Connections over a cap or the rate: they are answered at CONNECT with this refusal. */
  private readonly refusals = new WeakMap<MqttConnection, ConnectRefusal>();
  private readonly slots: ConnectionSlots;
  private readonly rate: ConnectionRate;
  private readonly logThrottle = new PerKeyLogThrottle(10_000);
  private readonly connectionCounters: ConnectionCounters;
  /** The same for every connection: one object, not one each. */
  private readonly connectionSettings: ConnectionSettings;
  private readonly sessionCounters: ClientSessionCounters;
  private readonly refused: { inc(labels: { reason: string }): void };
  private readonly connectionGauge: Gauge;
  /** Every will this transport's connections and sessions hold (max_total_will_bytes). */
  private readonly wills: ByteBudget;
  /** The payloads of the QoS 1/2 messages its sessions hold, queued or in flight (max_total_queued_bytes). */
  private readonly payloads: SharedPayloads;
  private readonly labels: { transport: string };
  /** Numbers Unix-socket connections, each its own per-address key. */
  private unixConnections = 0;

  constructor(
    private readonly settings: MqttSettings,
    private readonly attach: (peer: Peer) => DoorSessionLink,
    /** The realm's client sessions, shared with its other MQTT doors. */
    private readonly sessions: ClientRegistry,
    private readonly log: Logger,
    metrics: MetricsRegistry,
    /** The transport's id: names metrics labels and payload encoders. */
    id: string,
    /** "tls" on a TLS endpoint: sessions report it in authextra. */
    private readonly secure: boolean,
    /** The router's max_nesting_depth: deeper payloads are refused like any door's messages. */
    maxNestingDepth: number,
    /** Calls a dynamic format's encoder and decoder as the router's trusted session, with settings.codecTimeout. */
    codecCaller: ProcedureCaller,
  ) {
    this.mapping = new PayloadMapping(settings.payloadMapping, id, maxNestingDepth);
    this.maxCodecCallsPerConnection = settings.maxCodecCallsPerConnection;
    this.slots = new ConnectionSlots({ total: settings.maxConnections, perKey: settings.maxPerAddress });
    this.rate = new ConnectionRate(settings.connectionRate);
    this.connectionSettings = {
      maxPacketSize: settings.maxPacketSize,
      receiveMaximum: settings.receiveMaximum,
      openHandshakeTimeout: settings.openHandshakeTimeout,
      maxBufferedBytes: settings.maxBufferedBytes,
      topicAliasMaximum,
      maxSessionExpiry: settings.maxSessionExpiry,
    };
    this.labels = { transport: id };
    const labels = this.labels;
    meterTopicNames(metrics);
    // Names written out in each registration, so that docs/metrics.md's test finds every one.
    const withKind = (metric: Counter) => ({ inc: (extra: Record<string, string>) => metric.inc({ ...labels, ...extra }) });
    this.connectionCounters = {
      protocolErrors: withKind(metrics.counter('junction_mqtt_protocol_errors_total', 'MQTT connections closed for a protocol error or a limit, by kind')),
      keepaliveTimeouts: metrics.counter('junction_mqtt_keepalive_timeouts_total', 'MQTT connections closed after 1.5 keepalive intervals of silence').bind(labels),
      slowConsumers: metrics.counter('junction_mqtt_slow_consumer_closed_total', 'MQTT connections dropped because their send buffer passed max_buffered_bytes').bind(labels),
      tooLargeForClient: metrics.counter('junction_mqtt_too_large_for_client_total', 'MQTT packets not sent: larger than the client\'s maximum packet size').bind(labels),
      publishesRefused: withKind(metrics.counter('junction_mqtt_publishes_refused_total', 'MQTT publications not taken (topic, payload, or the router refused), by reason')),
      received: metrics.counter('junction_mqtt_packets_received_total', 'MQTT packets received').bind(labels),
    };
    const noLocalEvents = gaugeAdder(metrics.gauge('junction_mqtt_no_local_held', 'Events for MQTT No Local subscriptions held until the router answers the client\'s publication'), labels);
    const noLocalBytes = gaugeAdder(metrics.gauge('junction_mqtt_no_local_held_bytes', 'Estimated payload bytes of the events held for MQTT No Local subscriptions'), labels);
    this.sessionCounters = {
      queueDropped: withKind(metrics.counter('junction_mqtt_queue_dropped_total',
        'QoS 1/2 messages for MQTT clients dropped: a full client queue (limit="client": max_queued_messages, max_queued_bytes) or all clients\' held payloads at max_total_queued_bytes (limit="transport")')),
      expired: metrics.counter('junction_mqtt_expired_total', 'Queued MQTT messages not sent because their Message Expiry Interval passed').bind(labels),
      subscriptionsRefused: metrics.counter('junction_mqtt_subscriptions_refused_total', 'MQTT topic filters refused (cannot map, not authorized, max_subscriptions)').bind(labels),
      delivered: metrics.counter('junction_mqtt_messages_delivered_total', 'PUBLISH packets sent to MQTT clients').bind(labels),
      noLocalHeld: {
        add: (events, bytes) => {
          noLocalEvents.add(events);
          noLocalBytes.add(bytes);
        },
      },
      subackHeldBytes: gaugeAdder(metrics.gauge('junction_mqtt_suback_held_bytes',
        'Payload bytes of events for MQTT clients held until the SUBACK of the SUBSCRIBE that made their subscription'), labels),
      subackHoldOverflows: metrics.counter('junction_mqtt_suback_hold_overflows_total',
        'Times events held for an MQTT SUBACK passed half of max_buffered_bytes and were sent ahead of it').bind(labels),
      noLocalOverflows: metrics.counter('junction_mqtt_no_local_overflows_total',
        'Events for MQTT No Local subscriptions sent unchecked (perhaps the client\'s own) because its hold was full (max_no_local_held, max_no_local_held_bytes)').bind(labels),
    };
    this.codecs = new DynamicCodecs(codecCaller, settings.maxCodecCalls, {
      failures: withKind(metrics.counter('junction_mqtt_codec_failures_total',
        'Dynamic payload mapping calls that gave no payload (the publication refused, the event not sent), by direction and reason')),
      inFlight: metrics.gauge('junction_mqtt_codec_calls', 'Dynamic payload mapping encoder and decoder calls in flight').bind(labels),
    }, log);
    this.refused = withKind(metrics.counter('junction_mqtt_refused_connections_total', 'MQTT connections refused at CONNECT, by reason'));
    this.connectionGauge = metrics.gauge('junction_mqtt_connections', 'Open MQTT connections');
    const willGauge = metrics.gauge('junction_mqtt_will_bytes', 'Bytes of the wills held (connections\' wills and wills waiting out a delay), each counted as its CONNECT\'s size');
    this.wills = new ByteBudget(settings.maxTotalWillBytes, willGauge.bind(labels));
    const heldGauge = metrics.gauge('junction_mqtt_held_bytes', 'Payload bytes of the QoS 1/2 messages queued for or in flight to MQTT clients (a payload several clients hold counted once)');
    // Set at every QoS 1/2 message held and given back: the label key is built once.
    this.payloads = new SharedPayloads(new ByteBudget(settings.maxTotalQueuedBytes, heldGauge.bind(labels)));
  }

  /**
   * A new connection; `label` is its "tcp4:ip:port", `address` its IP for the per-address cap
   * (undefined on a Unix socket, which has no client address: exempt from the cap, as RawSocket's);
   * `door`, its certificate and web path where it has them.
   */
  accept(socket: MqttSocket, label: string, address: string | undefined, door: MqttDoor = {}): void {
    const connection = new MqttConnection(socket, label, this, this.connectionSettings, this.connectionCounters, this.log);
    const slot = this.slots.acquire(address ?? `${label}#${++this.unixConnections}`);
    if (typeof slot === 'string') {
      const limit = slot === 'service_full' ? `max_connections (${this.settings.maxConnections})` : `max_per_address (${this.settings.maxPerAddress})`;
      this.refusals.set(connection, connectRefusal(Reason.serverBusy, `too many connections: ${limit}`));
      this.warnOnce(slot, { peer: label, limit }, 'MQTT connection refused: connection cap reached');
    } else if (!this.rate.take()) {
      this.refusals.set(connection, connectRefusal(Reason.connectionRateExceeded, `more than ${this.settings.connectionRate} new connections per second`));
      this.warnOnce('rate', { peer: label, rate: this.settings.connectionRate }, 'MQTT connection refused: connection_rate exceeded');
    }
    if (typeof slot !== 'string') connection.slot = slot;
    if (door.certificate || door.path !== undefined) this.doors.set(connection, door);
    this.connections.add(connection);
    this.connectionGauge.set(this.connections.size, this.labels);
  }

  /** The connection's socket closed: its slot and its place in `connections` are let go. */
  socketClosed(connection: MqttConnection): void {
    connection.slot?.release();
    this.connections.delete(connection);
    this.connectionGauge.set(this.connections.size, this.labels);
  }

  async connect(connection: MqttConnection, packet: IConnectPacket): Promise<ConnectOutcome> {
    const admission = this.refusals.get(connection);
    if (admission) return this.refuse(admission, admission.v5 === Reason.connectionRateExceeded ? 'rate' : 'busy');
    const v5 = packet.protocolVersion === 5;
    const method = packet.properties?.authenticationMethod;
    if (v5 && method !== undefined) {
      // MQTT 5 extended authentication would go on with AUTH packets, which we do not offer (MQTT-4.12.0-1 allows the refusal).
      return this.refuse(connectRefusal(Reason.badAuthenticationMethod,
        `extended authentication (Authentication Method ${JSON.stringify(method)}) is not offered: sign in with a username and password, or anonymously`), 'auth_method');
    }
    const cleanStart = packet.clean !== false;
    let clientId = packet.clientId;
    let assignedClientId: string | undefined;
    if (clientId === '') {
      // MQTT 3.1.1 gives an empty id only to a clean session; MQTT 5 lets the server assign one.
      if (!cleanStart && !v5) return this.refuse(connectRefusal(Reason.clientIdNotValid, 'an empty client id needs clean_session'), 'client_id');
      clientId = assignedClientId = `junction-${randomBytes(9).toString('base64url')}`;
    }
    const sessionExpiry = v5
      ? Math.min(packet.properties?.sessionExpiryInterval ?? 0, this.settings.maxSessionExpiry)
      : cleanStart ? 0 : this.settings.maxSessionExpiry;

    let will: WillMessage | undefined;
    if (packet.will) {
      try {
        will = this.willOf(packet.will, packet.length ?? 0);
      } catch (error) {
        if (error instanceof TopicRefusal) return this.refuse(connectRefusal(Reason.topicNameInvalid, `will: ${error.message}`), 'will');
        if (error instanceof PayloadRefusal) return this.refuse(connectRefusal(Reason.payloadFormatInvalid, `will: ${error.message}`), 'will');
        throw error;
      }
      if (will === undefined) {
        const facts = { peer: connection.label, bytes: packet.length, held: this.wills.used, limit: this.wills.limit };
        this.warnOnce('will_quota', facts, 'MQTT connection refused: its will does not fit in max_total_will_bytes (further ones are counted, and warned at most every 10 s)');
        return this.refuse(connectRefusal(Reason.quotaExceeded, `will: the wills held here are at max_total_will_bytes (${this.wills.limit} bytes)`), 'will_quota');
      }
    }
    // The will is held from here: given back unless the CONNECT is accepted (then its connection or session gives it back).
    try {
      const outcome = await this.openSession(connection, packet, { clientId, cleanStart, sessionExpiry, will, ...(assignedClientId === undefined ? {} : { assignedClientId }) });
      if (outcome.kind === 'accepted') return { ...outcome, will };
      will?.release();
      return outcome;
    } catch (error) {
      will?.release();
      throw error;
    }
  }

  private refuse(refusal: ConnectRefusal, reason: string): ConnectOutcome {
    this.refused.inc({ reason });
    return { kind: 'refused', refusal };
  }

  /** Signs the client in, then finds, takes over or makes its session (the outcome's will is the caller's to add). */
  private async openSession(connection: MqttConnection, packet: IConnectPacket, request: SessionRequest): Promise<ConnectOutcome> {
    const { clientId, cleanStart, sessionExpiry, assignedClientId, will } = request;
    const { certificate, path } = this.doors.get(connection) ?? {};
    const router = new MqttRouterSession({
      type: 'mqtt', serializer: 'none', peer: connection.label,
      extra: {
        client_id: clientId, protocol_version: packet.protocolVersion ?? 4,
        ...(path !== undefined ? { path } : {}), ...(certificate ? { client_cert: certificate } : {}),
      },
    });
    router.connect(this.attach);
    // Crossbar's rule: a password makes it a ticket sign-in (the username is the authid); without one, anonymous.
    // A client certificate is offered first: where the transport has tls authentication, it decides.
    const credential: TicketCredential | undefined = packet.password !== undefined
      ? { authid: packet.username ?? '', ticket: packet.password.toString('utf8') }
      : undefined;
    let identity;
    try {
      identity = await router.join(this.settings.realm, credential, certificate !== undefined, {
        mqtt: { client_id: clientId, will: packet.will !== undefined, clean: cleanStart, ...(this.secure ? { tls: true } : {}) },
      });
    } catch (error) {
      if (!(error instanceof RouterRefusal)) throw error;
      return this.refuse(refusalForAbort(error.uri, error.message, credential !== undefined), error.uri === ErrorUri.systemShutdown ? 'stopping' : 'auth');
    }
    // A will the client may not publish is refused now (MQTT 5: 0x87), rather than lost when it would go out.
    const willRefusal = will && await router.publishRefusal(will.uri, will.retain);
    if (willRefusal) {
      router.leave();
      return this.refuse(connectRefusal(reasonForRouterError(willRefusal.uri, 'publish'), `will: ${willRefusal.message}`), 'will');
    }

    const existing = this.sessions.get(clientId);
    if (existing && existing.identity.authmethod !== 'anonymous' && existing.identity.authid !== identity.authid) {
      router.leave();
      return this.refuse(connectRefusal(Reason.clientIdNotValid, 'this client id belongs to a session of another principal'), 'client_id');
    }
    if (existing) {
      this.log.info({ clientId: clipped(clientId), peer: connection.label }, 'MQTT client id taken over by a new connection');
      existing.takeOver();
    }
    if (existing && !cleanStart) {
      // The existing session goes on; the new sign-in only proved who the client is.
      router.leave();
      existing.owner = this;
      return { kind: 'accepted', session: existing, sessionPresent: true, sessionExpiry, will: undefined };
    }
    existing?.end();
    if (this.sessions.size >= this.settings.maxSessions) {
      router.leave();
      this.warnOnce('sessions', { limit: this.settings.maxSessions }, 'MQTT connection refused: max_sessions reached');
      return this.refuse(connectRefusal(Reason.serverBusy, `too many sessions (max_sessions ${this.settings.maxSessions})`), 'sessions');
    }
    const session = new ClientSession(clientId, router, identity, this.mapping, this.codecs, this.settings, this.payloads, this.sessionCounters,
      boundLogger(this.log, { clientId: clipped(clientId) }), this.sessions);
    session.owner = this;
    this.sessions.add(session);
    return { kind: 'accepted', session, sessionPresent: false, sessionExpiry, ...(assignedClientId === undefined ? {} : { assignedClientId }), will: undefined };
  }

  disconnected(connection: MqttConnection): void {
    const session = connection.session;
    if (!session) return;
    if (connection.ending && !connection.ending.normal && connection.will) session.connectionLost(connection.will);
    else connection.will?.release(); // a DISCONNECT: the will is not sent
    // A connection taken over hands its session to the newer one: that CONNECT decides whether it goes on.
    if (connection.takenOver) return;
    session.unbind(connection, connection.sessionExpiry);
  }

  /** Ends every connection (MQTT 5 clients hear "server shutting down") and every session last served here. */
  async close(): Promise<void> {
    this.keepalive.stop();
    for (const connection of this.connections) connection.disconnect(Reason.serverShuttingDown, 'the server is shutting down');
    for (const session of this.sessions.values()) if (session.owner === this) session.end();
  }

  /**
   * The CONNECT's will as a publication, its `connectBytes` held in the will budget; undefined when
   * they do not fit. Throws a TopicRefusal or PayloadRefusal when it cannot map.
   */
  private willOf(will: NonNullable<IConnectPacket['will']>, connectBytes: number): WillMessage | undefined {
    const uri = topicNameToUri(will.topic);
    const bytes = typeof will.payload === 'string' ? Buffer.from(will.payload) : will.payload;
    const payload = will.retain === true && bytes.length === 0 ? { args: [] } : this.mapping.codecFor(uri).toWamp(bytes);
    const release = this.wills.hold(connectBytes);
    if (release === undefined) return undefined;
    return {
      uri, payload, retain: will.retain === true, properties: fromPacket(will.qos ?? 0, will.properties, will.retain === true),
      delaySeconds: will.properties?.willDelayInterval ?? 0, release,
    };
  }

  private warnOnce(key: string, facts: Record<string, unknown>, message: string): void {
    if (this.logThrottle.allow(key)) this.log.warn(facts, message);
  }
}
