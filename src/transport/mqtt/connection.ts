import { generate, type IConnectPacket, type IPublishPacket, type Packet } from 'mqtt-packet';
import { maxUriLength } from '../../protocol/uri.js';
import { WarningThrottle } from '../../router/limits/warning-throttle.js';
import { clipped, type Logger } from '../../router/log.js';
import { hasRoom, whenDrained } from '../outbound-room.js';
import type { Slot } from '../connection-slots.js';
import { corkForThisTurn } from '../write-coalescing.js';
import type { ClientLink, ClientSession, PublishAnswer, WillMessage } from './client-session.js';
import { acknowledgementBytes, publishBytes } from './publish-bytes.js';
import type { KeepaliveWheel, KeptAlive } from './keepalive-wheel.js';
import { StrictParser, type PacketSink } from './strict-parser.js';
import { CodecFailure, type DynamicCodecs } from './dynamic-codec.js';
import { InOrder } from './in-order.js';
import { PayloadRefusal, type PayloadMapping, type WampPayload } from './payload-mapping.js';
import { fromPacket } from './properties.js';
import { connectRefusal, Reason, reasonForRouterError, type ConnectRefusal } from './reason-codes.js';
import { RouterRefusal } from './router-session.js';
import { topicFilterViolation, topicNameToUri, topicNameViolation, TopicRefusal } from './topics.js';

/** The first octet of every MQTT connection (a CONNECT's fixed header): how a universal port tells MQTT apart. */
export const mqttFirstOctet = 0x10;

/** The part of a net.Socket / tls.TLSSocket a connection uses (fakes in tests may be smaller). */
export interface MqttSocket {
  write(chunk: Uint8Array): boolean;
  cork(): void;
  uncork(): void;
  end(): void;
  destroy(): void;
  pause(): void;
  resume(): void;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'close' | 'end', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  readonly writableLength: number;
  readonly destroyed: boolean;
  /** What whenDrained needs to wait for 'drain' (net.Socket has both); without them it looks again shortly. */
  readonly writableNeedDrain?: boolean;
  once?(event: 'drain', listener: () => void): unknown;
}

export interface ConnectionSettings {
  maxPacketSize: number;
  receiveMaximum: number;
  openHandshakeTimeout: number;
  maxBufferedBytes: number;
  /** Inbound MQTT 5 topic aliases a client may set (announced in CONNACK). */
  topicAliasMaximum: number;
  /** The longest a session is kept offline, seconds: a DISCONNECT's Session Expiry Interval is capped at it too. */
  maxSessionExpiry: number;
}

export interface ConnectionCounters {
  protocolErrors: { inc(labels: { kind: string }): void };
  keepaliveTimeouts: { inc(): void };
  slowConsumers: { inc(): void };
  tooLargeForClient: { inc(): void };
  publishesRefused: { inc(labels: { reason: string }): void };
  received: { inc(): void };
}

/** What the service decides for a CONNECT: a session for it, or a refusal. */
export type ConnectOutcome =
  | { kind: 'accepted'; session: ClientSession; sessionPresent: boolean; assignedClientId?: string; sessionExpiry: number; will: WillMessage | undefined }
  | { kind: 'refused'; refusal: ConnectRefusal };

export interface ConnectionHost {
  /** Signs the client in and finds or creates its session. */
  connect(connection: MqttConnection, packet: IConnectPacket): Promise<ConnectOutcome>;
  /** The connection is gone; `clean` when the client said DISCONNECT (no will). */
  disconnected(connection: MqttConnection): void;
  /** The socket closed (after `disconnected`, if it was connected): the connection's slot and place are let go. */
  socketClosed(connection: MqttConnection): void;
  /** Watches the connections' keepalive. */
  readonly keepalive: KeepaliveWheel;
  readonly mapping: PayloadMapping;
  readonly codecs: DynamicCodecs;
  /** Publications of one connection waiting on a decoder (and those behind them), at most. */
  readonly maxCodecCallsPerConnection: number;
}

/** How a connection ended, for the log and for the will: only a client's own DISCONNECT is normal. */
type Ending = { normal: boolean; reason: string };

/**
 * One MQTT network connection: packets in and out (mqtt-packet parses and writes them), the
 * CONNECT deadline, keepalive (1.5 times the client's interval), and QoS flows of publications
 * from the client. What outlives the connection lives in its ClientSession.
 */
export class MqttConnection implements ClientLink, PacketSink, KeptAlive {
  version = 4;
  session: ClientSession | undefined;
  will: WillMessage | undefined;
  sessionExpiry = 0;
  /** CONNECT asked for a Session Expiry Interval above 0 (MQTT 5): only then may DISCONNECT set one. */
  private askedSessionExpiry = false;
  /** MQTT 5 Request Problem Information: 0 allows reason strings only on CONNACK, DISCONNECT and PUBLISH (MQTT-3.1.2-29). */
  private problemInformation = true;
  ending: Ending | undefined;
  private readonly parser = new StrictParser(this);
  private state: 'awaiting-connect' | 'connecting' | 'connected' | 'closed' = 'awaiting-connect';
  /** The CONNECT time limit (the keepalive is the service's wheel: heardAt, silenceLimitMs). */
  private timer: NodeJS.Timeout | undefined;
  /** KeptAlive: when a packet last came (the wheel's clock), and the silence allowed after CONNACK (1.5 x keepalive; 0 for none). */
  heardAt = 0;
  silenceLimitMs = 0;
  /** QoS 1 publications from the client not yet acknowledged, and QoS 2 ones not yet released: MQTT's receive maximum counts both. */
  private qos1Unanswered = 0;
  private qos2Open: Set<number> | undefined;
  /**
   * QoS 2 publications held from their arrival until their PUBREC (while a decoder or the router
   * works on them), by id: the resends of each that came meanwhile, which are not published again
   * and get the same PUBREC when it goes out (MQTT 4.3.3: delivered exactly once).
   */
  private qos2Unanswered: Map<number, number> | undefined;
  /** PUBRELs that came before our PUBREC (the client did not wait), by id: answered with PUBCOMP right after it. */
  private earlyReleases: Map<number, number> | undefined;
  /** A newer connection took this one's client id: its session is not this connection's to end. */
  takenOver = false;
  /** Its place under max_connections / max_per_address, given back when the socket closes (none when refused at CONNECT). */
  slot: Slot | undefined;
  private clientMaxPacketSize = Infinity;
  /** MQTT 5 inbound topic aliases, made at the first one (few clients use them). */
  private aliases: Map<number, string> | undefined;
  /** A client must not write a log line per refused publication (made at the first refusal). */
  private publishRefusals: WarningThrottle | undefined;
  /** Publications waiting on a decoder, and those that came after them (made at the first decode). */
  private decodes: InOrder | undefined;
  /** Packets that arrived behind CONNECT while the client was being signed in. */
  private early: Packet[] | undefined;

  constructor(
    private readonly socket: MqttSocket,
    readonly label: string,
    private readonly host: ConnectionHost,
    private readonly settings: ConnectionSettings,
    private readonly counters: ConnectionCounters,
    private readonly log: Logger,
  ) {
    socket.on('data', (chunk) => this.data(chunk));
    socket.on('error', (error) => this.log.debug({ peer: label, err: error.message }, 'MQTT socket error'));
    socket.on('close', () => {
      this.closed({ normal: false, reason: 'the connection dropped' });
      host.socketClosed(this);
    });
    // MQTT has no half-close: a client that ended its side (a WebSocket client: sent its close frame)
    // is gone, its session with it at once (without DISCONNECT: its will goes), its connection a
    // second later even while our last bytes still wait for it. (A socket from an HTTP server, on a
    // universal port, is half-open and would otherwise stay open, its session with it, for good.)
    socket.on('end', () => {
      this.closed({ normal: false, reason: 'the client closed its side of the connection' });
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 1_000).unref(); // as when we end it: what it has not read by then, it never will
    });
    this.timer = setTimeout(() => this.drop(`no CONNECT within ${settings.openHandshakeTimeout} ms`, 'connect_timeout'), settings.openHandshakeTimeout);
  }

  /** Writes a packet in this connection's version; false when it is larger than the client accepts. */
  get open(): boolean {
    return this.state !== 'closed' && !this.socket.destroyed;
  }

  write(packet: Record<string, unknown> & { cmd: string }): boolean {
    if (!this.open) return false;
    const bytes = packet.cmd === 'publish'
      ? publishBytes(packet as unknown as IPublishPacket, this.version)
      : acknowledgementBytes(packet, this.version) ?? generate(packet as unknown as Packet, { protocolVersion: this.version });
    if (bytes.length > this.clientMaxPacketSize) {
      this.counters.tooLargeForClient.inc();
      this.log.warn({ peer: this.label, bytes: bytes.length, limit: this.clientMaxPacketSize }, 'MQTT packet not sent: larger than the client\'s maximum packet size');
      return false;
    }
    corkForThisTurn(this.socket);
    this.socket.write(bytes);
    if (this.socket.writableLength > this.settings.maxBufferedBytes) {
      this.counters.slowConsumers.inc();
      this.log.warn({ peer: this.label, buffered: this.socket.writableLength, limit: this.settings.maxBufferedBytes }, 'MQTT client too slow: connection dropped (max_buffered_bytes)');
      this.closed({ normal: false, reason: 'slow consumer' });
      this.socket.destroy();
      // The packet counts as sent: a QoS 1/2 message stays in flight and goes again when the client returns.
      return true;
    }
    return true;
  }

  /** Room for the router's own bursts (see outbound-room.ts): `heldBytes` are on their way to this socket too. */
  hasRoom(heldBytes: number): boolean {
    return hasRoom(this.socket.writableLength + heldBytes, this.settings.maxBufferedBytes);
  }

  whenDrained(resume: () => void): void {
    whenDrained(this.socket, resume);
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  takeOver(): void {
    this.takenOver = true;
    this.disconnect(Reason.sessionTakenOver, 'another connection took this client id over');
  }

  /** Ends the connection from our side: MQTT 5 clients are told why. The will is published (not the client's doing). */
  disconnect(reasonCode: number, reason: string): void {
    if (this.state === 'closed') return;
    if (this.version === 5 && this.state === 'connected') this.write({ cmd: 'disconnect', reasonCode, properties: { reasonString: reason } });
    this.closed({ normal: false, reason });
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1_000).unref();
  }

  private data(chunk: Buffer): void {
    if (this.state === 'closed') return;
    this.parser.parse(chunk);
    // A packet still being read is refused as soon as its announced length is too large.
    const pending = this.parser.pendingLength;
    if (pending > this.settings.maxPacketSize) this.tooLarge(pending);
  }

  private tooLarge(length: number): void {
    this.protocolError('too_large', `a ${length}-byte packet is over max_packet_size (${this.settings.maxPacketSize})`, Reason.packetTooLarge);
  }

  /** The parser's error: the connection is closed. */
  malformed(error: Error): void {
    this.protocolError('malformed', `malformed packet: ${error.message}`, Reason.malformedPacket);
  }

  /** A packet the parser read (PacketSink); also the packets held while the client was signed in. */
  packet(packet: Packet): void {
    if (this.state === 'closed') return;
    if ((packet.length ?? 0) > this.settings.maxPacketSize) return this.tooLarge(packet.length!);
    this.counters.received.inc();
    // Every packet pushes the keepalive back: a field write, the wheel looks once a second.
    if (this.silenceLimitMs > 0) this.heardAt = this.host.keepalive.now();
    if (this.state === 'awaiting-connect') {
      if (packet.cmd !== 'connect') return this.protocolError('no_connect', `the first packet must be CONNECT, not ${packet.cmd.toUpperCase()}`, Reason.protocolError);
      const zero = zeroConnectLimit(packet);
      // Closed without CONNACK, as for a malformed CONNECT (MQTT 5 4.13.1 allows it).
      if (zero !== undefined) return this.protocolError('connect_property', `a CONNECT with a ${zero} of 0 (MQTT 5 3.1.2.11 calls it a protocol error)`, Reason.protocolError);
      return void this.connect(packet);
    }
    if (packet.cmd === 'connect') return this.protocolError('second_connect', 'a second CONNECT on one connection', Reason.protocolError);
    if (packet.messageId === 0 && carriesPacketId(packet)) {
      return this.protocolError('packet_id', `a ${packet.cmd.toUpperCase()} with packet identifier 0 (it must be 1 to 65535, MQTT-2.3.1-1)`, Reason.protocolError);
    }
    if (this.state === 'connecting') {
      // MQTT lets a client send on without waiting for CONNACK: kept until the session exists.
      // Reading is paused meanwhile, so this holds at most what one read had in it.
      (this.early ??= []).push(packet);
      return;
    }
    const session = this.session!;
    switch (packet.cmd) {
      case 'publish':
        return this.publish(packet);
      case 'pubrel':
        return this.pubrel(packet.messageId!);
      case 'puback':
        return session.puback(packet.messageId!);
      case 'pubrec':
        return session.pubrec(packet.messageId!, packet.reasonCode);
      case 'pubcomp':
        return session.pubcomp(packet.messageId!);
      case 'subscribe': {
        const filters = packet.subscriptions.map((subscription) => subscription.topic);
        if (this.refusedFilters(filters)) return;
        const identifier = packet.properties?.subscriptionIdentifier;
        if (identifier === 0) return this.protocolError('subscription_identifier', 'a Subscription Identifier of 0 (it must be 1 to 268435455, MQTT 5 3.8.2.1.2)', Reason.protocolError);
        void session.subscribe(packet.subscriptions, identifier).then((answers) => {
          this.write({ cmd: 'suback', messageId: packet.messageId, granted: answers.codes, ...this.reasonString(answers.refusals) });
          session.releaseHeld(answers.held);
        });
        return;
      }
      case 'unsubscribe':
        if (this.refusedFilters(packet.unsubscriptions)) return;
        // MQTT 3.1.1's UNSUBACK has no codes: only MQTT 5 hears them.
        void session.unsubscribe(packet.unsubscriptions).then((answers) => {
          this.write({ cmd: 'unsuback', messageId: packet.messageId, ...(this.version === 5 ? { granted: answers.codes } : {}), ...this.reasonString(answers.refusals) });
        });
        return;
      case 'pingreq':
        this.write({ cmd: 'pingresp' });
        return;
      case 'disconnect': {
        // MQTT 5: DISCONNECT may set the session's expiry anew (MQTT 5 3.14.2.2.2), unless CONNECT asked for none.
        const expiry = packet.properties?.sessionExpiryInterval;
        if (expiry !== undefined && expiry > 0 && !this.askedSessionExpiry) {
          // Not a valid DISCONNECT, so the will goes.
          return this.protocolError('session_expiry', 'a DISCONNECT with a Session Expiry Interval after a CONNECT without one (MQTT 5 3.14.2.2.2)', Reason.protocolError);
        }
        if (expiry !== undefined) this.sessionExpiry = Math.min(expiry, this.settings.maxSessionExpiry);
        // MQTT 5 reason 0x04: "disconnect with will message".
        this.closed({ normal: packet.reasonCode !== 0x04, reason: 'the client disconnected' });
        this.socket.end();
        return;
      }
      case 'auth':
        // Only a client that named an Authentication Method in CONNECT may send AUTH (MQTT-4.12.0-1); we accept
        // no such CONNECT. 0x86 would be no DISCONNECT reason at all: clients could not even read it.
        return this.protocolError('auth', 'AUTH without an Authentication Method in CONNECT: extended authentication is not offered', Reason.protocolError);
      default:
        return this.protocolError('unexpected', `a client does not send ${packet.cmd.toUpperCase()}`, Reason.protocolError);
    }
  }

  /** A SUBSCRIBE or UNSUBSCRIBE naming a filter that MQTT forbids is malformed: the connection is closed (DISCONNECT 0x81), and true. */
  private refusedFilters(filters: string[]): boolean {
    const violation = filters.map(topicFilterViolation).find((problem) => problem !== undefined);
    if (violation !== undefined) this.protocolError('topic_filter', violation, Reason.malformedPacket);
    return violation !== undefined;
  }

  /**
   * PUBREL: the publication's id is free again, PUBCOMP says so (0x92 to an MQTT 5 client when it
   * was not awaited). One before our PUBREC is answered right after it: until then the id stays
   * counted under receive_maximum and its resends are still recognised (MQTT 4.3.3).
   */
  private pubrel(packetId: number): void {
    if (this.qos2Unanswered?.has(packetId)) {
      const early = this.earlyReleases ??= new Map();
      early.set(packetId, (early.get(packetId) ?? 0) + 1);
      return;
    }
    const known = this.session!.released(packetId);
    this.qos2Open?.delete(packetId);
    this.write({ cmd: 'pubcomp', messageId: packetId, ...(this.version === 5 && !known ? { reasonCode: Reason.packetIdNotFound } : {}) });
  }

  /** MQTT 5: the refusals of a SUBACK / UNSUBACK, in its one reason string (unless the client asked for none). */
  private reasonString(refusals: string[]): { properties?: { reasonString: string } } {
    return this.version === 5 && this.problemInformation && refusals.length > 0 ? { properties: { reasonString: refusals.join('; ') } } : {};
  }

  private async connect(packet: IConnectPacket): Promise<void> {
    this.state = 'connecting';
    this.socket.pause();
    this.version = packet.protocolVersion ?? 4;
    if (packet.properties?.maximumPacketSize !== undefined) this.clientMaxPacketSize = packet.properties.maximumPacketSize;
    this.askedSessionExpiry = (packet.properties?.sessionExpiryInterval ?? 0) > 0;
    this.problemInformation = packet.properties?.requestProblemInformation !== false;
    let outcome: ConnectOutcome;
    try {
      outcome = await this.host.connect(this, packet);
    } catch (error) {
      this.log.error({ peer: this.label, err: (error as Error).message }, 'MQTT CONNECT failed');
      outcome = { kind: 'refused', refusal: connectRefusal(Reason.serverUnavailable, 'the server could not set up the session') };
    }
    if (this.state !== 'connecting') {
      // The connection went away while the client was being signed in: the session is bound and
      // let go at once, so that it expires (or ends) like any session whose client left.
      if (outcome.kind === 'accepted') {
        outcome.will?.release(); // not this connection's will any more: it ended before it was connected
        this.session = outcome.session;
        this.sessionExpiry = outcome.sessionExpiry;
        outcome.session.bind(this, undefined);
        this.host.disconnected(this);
      }
      return;
    }
    if (outcome.kind === 'refused') return this.refuse(outcome.refusal);
    clearTimeout(this.timer);
    this.timer = undefined; // a cleared Timeout still costs 0.15 KiB for as long as it is referenced
    this.state = 'connected';
    this.session = outcome.session;
    this.will = outcome.will;
    this.sessionExpiry = outcome.sessionExpiry;
    this.armKeepalive(packet.keepalive ?? 0);
    const properties = this.version === 5 ? {
      properties: {
        maximumPacketSize: this.settings.maxPacketSize,
        receiveMaximum: this.settings.receiveMaximum,
        topicAliasMaximum: this.settings.topicAliasMaximum,
        sessionExpiryInterval: outcome.sessionExpiry,
        retainAvailable: true,
        wildcardSubscriptionAvailable: true,
        subscriptionIdentifiersAvailable: true,
        sharedSubscriptionAvailable: false,
        ...(outcome.assignedClientId === undefined ? {} : { assignedClientIdentifier: outcome.assignedClientId }),
      },
    } : {};
    this.write({ cmd: 'connack', sessionPresent: outcome.sessionPresent, ...(this.version === 5 ? { reasonCode: 0 } : { returnCode: 0 }), ...properties });
    this.socket.resume(); // before bind: the router may want this session's reading paused
    outcome.session.bind(this, packet.properties?.receiveMaximum);
    // QoS 2 publications whose PUBREL the session still awaits (sent on an earlier connection) count
    // under receive_maximum, as the client counts them: else each reconnection could open as many more.
    const awaited = outcome.session.awaitedReleases();
    if (awaited.length > 0) this.qos2Open = new Set(awaited);
    const early = this.early;
    this.early = undefined;
    for (const held of early ?? []) this.packet(held);
  }

  private refuse(refusal: ConnectRefusal): void {
    this.log.info({ peer: this.label, code: this.version === 5 ? refusal.v5 : refusal.v3, reason: refusal.text }, 'MQTT CONNECT refused');
    const answer = this.version === 5
      ? { cmd: 'connack', sessionPresent: false, reasonCode: refusal.v5, properties: { reasonString: refusal.text } }
      : { cmd: 'connack', sessionPresent: false, returnCode: refusal.v3 };
    this.write(answer);
    this.closed({ normal: true, reason: refusal.text });
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1_000).unref();
  }

  /** PUBLISH from the client: mapped, handed to the router, answered by QoS as the router answered. */
  private publish(packet: IPublishPacket): void {
    const session = this.session!;
    const id = packet.messageId;
    // A resent QoS 2 publication is never published twice: answered with the first's PUBREC, when that goes out.
    const resends = packet.qos === 2 ? this.qos2Unanswered?.get(id!) : undefined;
    if (resends !== undefined) return void this.qos2Unanswered!.set(id!, resends + 1);
    // An id already counted (its PUBREL is awaited) is not counted again.
    if (packet.qos === 1 || (packet.qos === 2 && !this.qos2Open?.has(id!))) {
      if (this.qos1Unanswered + (this.qos2Open?.size ?? 0) >= this.settings.receiveMaximum) {
        return this.protocolError('receive_maximum', `more than ${this.settings.receiveMaximum} QoS 1/2 publications unacknowledged`, Reason.receiveMaximumExceeded);
      }
      if (packet.qos === 1) this.qos1Unanswered += 1;
      else (this.qos2Open ??= new Set()).add(id!);
    }
    if (packet.qos === 2) {
      (this.qos2Unanswered ??= new Map()).set(id!, 0);
      // The router has the first copy (sent on this connection or an earlier one): the resend gets its answer, refusal included.
      const first = session.answerTo(id!);
      if (first !== undefined) return void first.then((answer) => this.acknowledge(packet, answer.code, answer.text));
    }
    const topic = this.topicOf(packet);
    if (topic === undefined) return; // a topic alias error closed the connection
    const violation = topicNameViolation(topic);
    if (violation !== undefined) return this.protocolError('topic_name', violation, Reason.protocolError);
    let uri: string;
    let payload: WampPayload | Promise<WampPayload>;
    try {
      uri = topicNameToUri(topic);
      const bytes = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
      const dynamic = this.host.mapping.dynamicFor(uri);
      // An empty retained payload clears the topic: it is retained as an event without arguments,
      // which MQTT subscribers never receive (see ClientSession.event).
      if (packet.retain && bytes.length === 0) payload = { args: [] };
      else if (dynamic === undefined) payload = this.host.mapping.codecFor(uri).toWamp(bytes);
      else if ((this.decodes?.size ?? 0) >= this.host.maxCodecCallsPerConnection) throw this.host.codecs.overflow('decode', this.host.maxCodecCallsPerConnection);
      else payload = this.host.codecs.decode(dynamic, uri, topic, bytes);
    } catch (error) {
      return this.refuseMapping(packet, error);
    }
    if (!(payload instanceof Promise) && this.decodes === undefined) return this.deliver(packet, uri, payload);
    // While a decoder works, everything after it waits its turn: a later publication never overtakes an earlier one.
    (this.decodes ??= new InOrder()).add(Promise.resolve(payload), (outcome) => {
      if (this.decodes?.size === 0) this.decodes = undefined;
      if (this.state === 'closed') return; // never acknowledged: a QoS 1/2 publication comes again on the client's next connection
      if (outcome.status === 'fulfilled') this.deliver(packet, uri, outcome.value);
      else this.refuseMapping(packet, outcome.reason);
    });
  }

  /** A publication whose topic or payload does not map (or whose decoder failed): refused as MQTT allows. */
  private refuseMapping(packet: IPublishPacket, error: unknown): void {
    if (error instanceof TopicRefusal) return this.refusePublish(packet, 'topic', Reason.topicNameInvalid, error.message);
    if (error instanceof PayloadRefusal) return this.refusePublish(packet, 'payload', Reason.payloadFormatInvalid, error.message);
    if (error instanceof CodecFailure) {
      return this.refusePublish(packet, 'codec', error.reason === 'limit' ? Reason.quotaExceeded : Reason.payloadFormatInvalid, error.message);
    }
    throw error;
  }

  /** A mapped publication to the router, answered by QoS as the router answered. */
  private deliver(packet: IPublishPacket, uri: string, payload: WampPayload): void {
    const session = this.session!;
    const answer = session.publish(uri, payload, packet.retain, fromPacket(packet.qos, packet.properties, packet.retain), packet.length ?? 0).then(
      () => accepted,
      (error: unknown): PublishAnswer => {
        if (!(error instanceof RouterRefusal)) throw error;
        return { code: reasonForRouterError(error.uri, 'publish'), text: error.message };
      },
    );
    // Held in the session, so that a resend on a later connection gets the same answer.
    if (packet.qos === 2) session.awaitRelease(packet.messageId!, answer);
    void answer.then((outcome) => {
      if (outcome.code === Reason.success) this.acknowledge(packet, Reason.success);
      else this.refusePublish(packet, 'router', outcome.code, outcome.text!);
    });
  }

  /**
   * MQTT 5 topic aliases: a PUBLISH may set one (topic + alias) or use one (alias, empty topic).
   * An alias outside 1..topicAliasMaximum, or one used before it was set, is a protocol error
   * that closes the connection (DISCONNECT 0x94 / 0x82), as MQTT 5 says: then undefined.
   */
  private topicOf(packet: IPublishPacket): string | undefined {
    const alias = packet.properties?.topicAlias;
    if (alias === undefined) return packet.topic;
    if (alias < 1 || alias > this.settings.topicAliasMaximum) {
      this.protocolError('topic_alias', `topic alias ${alias} is outside 1..${this.settings.topicAliasMaximum} (the Topic Alias Maximum in CONNACK)`, Reason.topicAliasInvalid);
      return undefined;
    }
    if (packet.topic !== '') {
      // A topic too long to map is refused with its PUBLISH and not kept: 16 aliases of 1 MiB topics would hold 16 MiB.
      if (packet.topic.length <= maxUriLength) (this.aliases ??= new Map()).set(alias, packet.topic);
      return packet.topic;
    }
    const topic = this.aliases?.get(alias);
    if (topic === undefined) this.protocolError('topic_alias', `topic alias ${alias} was used before it was set`, Reason.protocolError);
    return topic;
  }

  /**
   * A publication the router did not take. QoS 0: dropped (counted, logged). QoS 1/2: MQTT 5
   * acknowledges with the failure reason; MQTT 3.1.1 has no way to say no, so it is acknowledged
   * (else the client would resend it forever) and the refusal is counted and logged.
   */
  private refusePublish(packet: IPublishPacket, reason: string, code: number, text: string): void {
    this.counters.publishesRefused.inc({ reason });
    const refused = (this.publishRefusals ??= new WarningThrottle()).record(performance.now());
    if (refused !== undefined) {
      this.log.info({ peer: this.label, clientId: clipped(this.session?.clientId), topic: packet.topic, qos: packet.qos, err: text, refused },
        'MQTT publication refused (this connection\'s further refusals are counted, and logged at most every 10 s)');
    }
    this.acknowledge(packet, code, text);
  }

  private acknowledge(packet: IPublishPacket, reasonCode: number, reasonString?: string): void {
    if (packet.qos === 0) return;
    if (packet.qos === 1) this.qos1Unanswered -= 1;
    const reason = this.version === 5 && reasonCode !== Reason.success
      ? { reasonCode, ...(reasonString && this.problemInformation ? { properties: { reasonString } } : {}) }
      : {};
    if (packet.qos === 2 && this.version === 5 && reasonCode >= Reason.unspecified) {
      // A failure code in PUBREC ends an MQTT 5 QoS 2 flow: no PUBREL follows.
      this.session!.released(packet.messageId!);
      this.qos2Open?.delete(packet.messageId!);
    }
    // A QoS 2 publication's resends that came before its answer get the same one.
    const resends = packet.qos === 2 ? this.takeResends(packet.messageId!) : 0;
    for (let answer = 0; answer <= resends; answer++) {
      this.write({ cmd: packet.qos === 1 ? 'puback' : 'pubrec', messageId: packet.messageId, ...reason });
    }
    if (packet.qos === 2) this.answerEarlyReleases(packet.messageId!);
  }

  /** PUBRELs that came before the PUBREC just sent get their PUBCOMP now, in order after it. */
  private answerEarlyReleases(packetId: number): void {
    const early = this.earlyReleases?.get(packetId);
    if (early === undefined) return;
    this.earlyReleases!.delete(packetId);
    for (let release = 0; release < early; release++) this.pubrel(packetId);
  }

  /** A QoS 2 publication is answered: it is no longer held here, and how many resends came while it was. */
  private takeResends(packetId: number): number {
    const resends = this.qos2Unanswered?.get(packetId) ?? 0;
    this.qos2Unanswered?.delete(packetId);
    return resends;
  }

  /** At CONNACK: MQTT closes a connection silent for one and a half keepalive intervals (0: no keepalive). */
  private armKeepalive(keepaliveSeconds: number): void {
    if (keepaliveSeconds === 0) return;
    this.heardAt = this.host.keepalive.now();
    this.silenceLimitMs = keepaliveSeconds * 1500;
    this.host.keepalive.watch();
  }

  /** KeptAlive: nothing came within the silence limit. */
  silent(): void {
    if (this.state === 'closed') return;
    this.counters.keepaliveTimeouts.inc();
    this.drop(`nothing received for 1.5 x keepalive (${this.silenceLimitMs / 1500} s)`, undefined, Reason.keepAliveTimeout);
  }

  private protocolError(kind: string, message: string, reasonCode: number): void {
    this.counters.protocolErrors.inc({ kind });
    this.log.info({ peer: this.label, kind, err: message }, 'MQTT connection closed for a protocol error');
    this.drop(message, undefined, reasonCode);
  }

  private drop(reason: string, kind?: string, reasonCode: number = Reason.unspecified): void {
    if (kind) this.counters.protocolErrors.inc({ kind });
    this.disconnect(reasonCode, reason);
  }

  private closed(ending: Ending): void {
    if (this.state === 'closed') return;
    const wasConnected = this.state === 'connected';
    this.state = 'closed';
    this.ending = ending;
    this.silenceLimitMs = 0;
    clearTimeout(this.timer);
    if (wasConnected) this.host.disconnected(this);
  }
}

/** The router took the publication (one object for every answer that says so). */
const accepted: PublishAnswer = { code: Reason.success };

/** The CONNECT property that MQTT 5 forbids to be 0 (3.1.2.11.3, 3.1.2.11.4) when it is, else undefined: with it no message, or no CONNACK, could be sent. */
function zeroConnectLimit(packet: IConnectPacket): string | undefined {
  if (packet.properties?.receiveMaximum === 0) return 'Receive Maximum';
  if (packet.properties?.maximumPacketSize === 0) return 'Maximum Packet Size';
  return undefined;
}

/** Whether MQTT gives this packet a packet identifier (QoS 0 publications have none). */
function carriesPacketId(packet: Packet): boolean {
  return packet.cmd === 'publish' ? packet.qos > 0 : ['subscribe', 'unsubscribe', 'puback', 'pubrec', 'pubrel', 'pubcomp'].includes(packet.cmd);
}
