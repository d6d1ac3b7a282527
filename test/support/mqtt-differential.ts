/**
 * One scripted MQTT scenario run against two brokers (mosquitto and Junction), each client's
 * packets recorded in a form that leaves out what a broker may choose freely (its packet ids,
 * CONNACK properties, reason strings), so that the two recordings can be compared whole.
 *
 * Waits never throw: a packet that never comes shows as a difference in the recording (each
 * wait is bounded by WAIT_MS), so a scenario always ends, within a few seconds.
 */
import { generate, type Packet } from 'mqtt-packet';
import { RawMqtt } from './mqtt.js';

/** How long a scenario waits for an answer or a message before it goes on without it. */
const WAIT_MS = 3_000;

/** What each client received, by the client's name in the scenario: one line per packet. */
export type Recording = Record<string, string[]>;

type Properties = Record<string, unknown>;

export interface PublishOptions {
  qos?: 0 | 1 | 2;
  retain?: boolean;
  properties?: Properties;
}

export interface SubscribeOptions {
  qos?: 0 | 1 | 2;
  /** MQTT 5 No Local, Retain As Published, Retain Handling. */
  nl?: boolean;
  rap?: boolean;
  rh?: 0 | 1 | 2;
}

/** Reason strings are each broker's own words: only the codes are compared. */
function withoutReasonString(properties: Properties | undefined): Properties | undefined {
  if (!properties) return undefined;
  // In name order: brokers write properties in an order of their own.
  const rest = Object.entries(properties).filter(([name]) => name !== 'reasonString').sort(([a], [b]) => a.localeCompare(b));
  return rest.length > 0 ? Object.fromEntries(rest) : undefined;
}

/**
 * MQTT 5 lets a server answer 0x10 No matching subscribers instead of 0x00 Success when it knows
 * there are none (3.4.2.1, a MAY): mosquitto does, Junction's router does not tell; both mean
 * "accepted", so they are recorded alike.
 */
function acceptance(reasonCode: number | undefined): number {
  return reasonCode === undefined || reasonCode === 0x10 ? 0 : reasonCode;
}

/**
 * A Message Expiry Interval depends on when it is read: a scenario sets multiples of 100 s, and
 * the recording shows the interval set and whether time was taken off it (MQTT 5 3.3.2.3.3: the
 * interval left), not the exact seconds left.
 */
function expiryBand(properties: Properties | undefined): Properties | undefined {
  const seconds = properties?.messageExpiryInterval;
  if (typeof seconds !== 'number') return properties;
  const set = Math.ceil(seconds / 100) * 100;
  return { ...properties, messageExpiryInterval: seconds < set ? `${set} less the time held` : `${set}` };
}

/** What a client's CONNECT asked for, which decides what of the answers is recorded. */
export interface Asked {
  /** The client set a keepalive of its own: CONNACK's Server Keep Alive is recorded (else it is the broker's default, its choice). */
  keepalive: boolean;
  /**
   * MQTT 5 Request Problem Information 0: a reason string on a packet other than PUBLISH, CONNACK
   * or DISCONNECT is recorded (MQTT-3.1.2-29 forbids it).
   */
  noProblemInformation: boolean;
}

/**
 * The CONNACK properties a client must act on and that a scenario can provoke: Server Keep Alive
 * (its value, when the client set a keepalive), Assigned Client Identifier and Response
 * Information (whether there is one: their values are the broker's choice).
 */
function connackFacts(properties: Properties | undefined, asked: Asked): string {
  if (!properties) return '';
  return (properties.serverKeepAlive === undefined || !asked.keepalive ? '' : ` server-keepalive=${String(properties.serverKeepAlive)}`)
    + (properties.assignedClientIdentifier === undefined ? '' : ' assigned-id')
    + (properties.responseInformation === undefined ? '' : ' response-information');
}

const nothingAsked: Asked = { keepalive: false, noProblemInformation: false };

/** A packet as the recording shows it: what MQTT specifies, none of what the broker may choose. */
export function recordedPacket(packet: Packet, asked = nothingAsked): string | undefined {
  const p = packet as Packet & Record<string, unknown>;
  const forbidden = asked.noProblemInformation && !['publish', 'connack', 'disconnect'].includes(packet.cmd)
    && (p.properties as Properties | undefined)?.reasonString !== undefined;
  const line = recordedFields(packet, p, asked);
  return forbidden && line !== undefined ? `${line} with a reason string` : line;
}

function recordedFields(packet: Packet, p: Packet & Record<string, unknown>, asked: Asked): string | undefined {
  switch (packet.cmd) {
    case 'connack':
      return `CONNACK present=${String(p.sessionPresent)} code=${String(p.reasonCode ?? p.returnCode)}${connackFacts(p.properties as Properties | undefined, asked)}`;
    case 'publish': {
      const properties = expiryBand(withoutReasonString(p.properties as Properties | undefined));
      return `PUBLISH ${String(p.topic)} ${JSON.stringify((p.payload as Buffer).toString('utf8'))} qos=${String(p.qos)} retain=${String(p.retain)} dup=${String(p.dup)}`
        + (properties ? ` ${JSON.stringify(properties)}` : '');
    }
    case 'suback':
    case 'unsuback':
      return `${packet.cmd.toUpperCase()} id=${String(p.messageId)} ${JSON.stringify(p.granted ?? null)}`;
    case 'puback':
    case 'pubrec':
    case 'pubcomp':
      // Answers to this client's own PUBLISH: the packet id is the client's.
      return `${packet.cmd.toUpperCase()} id=${String(p.messageId)} code=${String(acceptance(p.reasonCode as number | undefined))}`;
    case 'pubrel':
      return `PUBREL code=${String(p.reasonCode ?? 0)}`;
    case 'disconnect':
      return `DISCONNECT code=${String(p.reasonCode ?? 0)}`;
    case 'pingresp':
      return undefined;
    default:
      return packet.cmd.toUpperCase();
  }
}

/**
 * A CONNECT with an empty client id and Clean Session (Clean Start) 0, which mqtt-packet will not
 * write: written with the flag set, then cleared (the connect flags are the 10th byte while the
 * remaining length takes one byte).
 */
function emptyIdWithoutCleanStart(packet: Properties, version: 4 | 5): Buffer {
  const bytes = Buffer.from(generate({ ...packet, clean: true } as unknown as Packet, { protocolVersion: version }));
  if (bytes[1]! >= 0x80) throw new Error('a CONNECT this long has its connect flags elsewhere');
  bytes[9]! &= ~0x02;
  return bytes;
}

/** One client of a scenario: a raw MQTT connection that acknowledges what it receives, as a client must, and records it. */
export class ScenarioClient {
  private nextId = 1;
  private endedByUs = false;
  /** False: PUBLISH and PUBREC packets received are left unanswered (the scenario answers, or not: acknowledgeHeld). */
  acknowledges = true;
  /** False: PUBREL packets received are left unanswered (no PUBCOMP; completeHeld answers them). */
  completes = true;
  /** QoS 1/2 PUBLISH packets received and left unanswered, oldest first. */
  private readonly unanswered: { qos: number; messageId: number }[] = [];
  /** Ids of PUBREL packets left unanswered, oldest first. */
  private readonly uncompleted: number[] = [];
  /** False: packets received are not recorded (a run of them that depends on the broker's own limits; a note sums it up). */
  recording = true;
  private asked = nothingAsked;

  private constructor(private readonly raw: RawMqtt, private readonly lines: string[]) {}

  static async open(port: number, version: 4 | 5, lines: string[]): Promise<ScenarioClient> {
    let client: ScenarioClient | undefined;
    const raw = await RawMqtt.open(port, version, (packet) => client?.received(packet));
    client = new ScenarioClient(raw, lines);
    return client;
  }

  private received(packet: Packet): void {
    const line = recordedPacket(packet, this.asked);
    if (line !== undefined && this.recording) this.lines.push(line);
    const p = packet as Packet & { messageId?: number; qos?: number };
    if (packet.cmd === 'publish' && p.qos !== undefined && p.qos > 0) {
      if (this.acknowledges) this.answer(p.qos, p.messageId!);
      else this.unanswered.push({ qos: p.qos, messageId: p.messageId! });
    }
    if (packet.cmd === 'pubrel' && this.completes) this.raw.send({ cmd: 'pubcomp', messageId: p.messageId });
    else if (packet.cmd === 'pubrel') this.uncompleted.push(p.messageId!);
    if (packet.cmd === 'pubrec' && this.acknowledges) this.raw.send({ cmd: 'pubrel', messageId: p.messageId });
  }

  private answer(qos: number, messageId: number): void {
    this.raw.send({ cmd: qos === 1 ? 'puback' : 'pubrec', messageId });
  }

  /** Answers the QoS 1/2 messages left unanswered (PUBACK, PUBREC), and those that come later. */
  acknowledgeHeld(): void {
    this.acknowledges = true;
    for (const { qos, messageId } of this.unanswered.splice(0)) this.answer(qos, messageId);
  }

  /** Answers the PUBREL packets left unanswered (PUBCOMP), and those that come later. */
  completeHeld(): void {
    this.completes = true;
    for (const messageId of this.uncompleted.splice(0)) this.raw.send({ cmd: 'pubcomp', messageId });
  }

  /** A line of the scenario's own in the recording (where a phase ends: what came before it and what after). */
  note(text: string): void {
    this.lines.push(`-- ${text}`);
  }

  /** PINGREQ every `intervalMs` for `durationMs` (the broker's PINGRESPs are not recorded). */
  async pingFor(durationMs: number, intervalMs: number): Promise<void> {
    for (let sent = 0; sent < durationMs / intervalMs && !this.raw.closed; sent++) {
      this.raw.send({ cmd: 'pingreq' });
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }

  /** Waits (at most WAIT_MS, never throwing) until `condition` holds over the packets received. */
  private async wait(condition: (packets: Packet[]) => boolean): Promise<void> {
    await this.raw.until(condition, 'a packet', WAIT_MS).catch(() => undefined);
  }

  private answered(cmd: string, id: number): Promise<void> {
    return this.wait((packets) => packets.some((packet) => packet.cmd === cmd && (packet as { messageId?: number }).messageId === id));
  }

  private id(): number {
    return this.nextId++;
  }

  async connect(clientId: string, extra: Properties = {}): Promise<void> {
    this.asked = { keepalive: extra.keepalive !== undefined, noProblemInformation: (extra.properties as Properties | undefined)?.requestProblemInformation === false };
    const packet = { cmd: 'connect', protocolId: 'MQTT', protocolVersion: this.raw.version, clientId, clean: true, keepalive: 0, ...extra };
    if (packet.clientId === '' && packet.clean === false) this.raw.sendRaw(emptyIdWithoutCleanStart(packet, this.raw.version));
    else this.raw.send(packet);
    await this.wait((packets) => packets.some((packet) => packet.cmd === 'connack'));
  }

  /** The properties of the CONNACK this client received (MQTT 5), or none. */
  get connackProperties(): Properties {
    const connack = this.raw.received('connack')[0] as { properties?: Properties } | undefined;
    return connack?.properties ?? {};
  }

  /** How many packets of the kind `cmd` have arrived in all. */
  count(cmd: string): number {
    return this.raw.received(cmd).length;
  }

  /** Waits until `count` packets of the kind `cmd` have arrived in all. */
  async receivedPackets(cmd: string, count: number): Promise<void> {
    await this.wait((packets) => packets.filter((packet) => packet.cmd === cmd).length >= count);
  }

  async subscribe(filters: Record<string, SubscribeOptions>, properties?: Properties): Promise<void> {
    const id = this.id();
    const subscriptions = Object.entries(filters).map(([topic, { qos = 1, nl, rap, rh }]) => ({ topic, qos, ...(this.raw.version === 5 ? { nl, rap, rh } : {}) }));
    this.raw.send({ cmd: 'subscribe', messageId: id, subscriptions, ...(properties ? { properties } : {}) });
    await this.answered('suback', id);
  }

  /** SUBSCRIBEs of one filter each, written at once (the broker reads them together), without waiting for their SUBACKs. */
  sendSubscribes(filters: string[], qos: 0 | 1 | 2 = 1): void {
    const packets = filters.map((topic) => generate({ cmd: 'subscribe', messageId: this.id(), subscriptions: [{ topic, qos }] } as Packet, { protocolVersion: this.raw.version }));
    this.raw.sendRaw(Buffer.concat(packets));
  }

  async unsubscribe(filters: string[]): Promise<void> {
    const id = this.id();
    this.raw.send({ cmd: 'unsubscribe', messageId: id, unsubscriptions: filters });
    await this.answered('unsuback', id);
  }

  /** PUBLISH, and for QoS 1/2 its acknowledgement (PUBACK; PUBREC, PUBREL, PUBCOMP). */
  async publish(topic: string, payload: string, { qos = 0, retain = false, properties }: PublishOptions = {}): Promise<void> {
    const id = qos > 0 ? this.id() : undefined;
    this.raw.send({ cmd: 'publish', topic, payload: Buffer.from(payload), qos, retain, dup: false, ...(id ? { messageId: id } : {}), ...(properties ? { properties } : {}) });
    if (id !== undefined) await this.answered(qos === 1 ? 'puback' : 'pubcomp', id);
  }

  /** Waits until `count` PUBLISH packets have arrived in all. */
  async messages(count: number): Promise<void> {
    await this.wait((packets) => packets.filter((packet) => packet.cmd === 'publish').length >= count);
  }

  /** Waits until a PUBLISH with this payload has arrived (a marker published after what the scenario looks at). */
  async receives(payload: string): Promise<void> {
    await this.wait((packets) => packets.some((packet) => packet.cmd === 'publish' && (packet.payload as Buffer).toString('utf8') === payload));
  }

  /** PINGREQ and its PINGRESP: what the broker wrote to this client before it has arrived. */
  async sync(): Promise<void> {
    await this.raw.sync().catch(() => undefined);
  }

  /** Waits (at most `timeoutMs`, never throwing) until the broker has closed the connection. */
  async closedByBroker(timeoutMs = 5_000): Promise<void> {
    await this.raw.whenClosed(timeoutMs).catch(() => undefined);
  }

  /** A polite end: DISCONNECT (MQTT 5: with `reasonCode` and `properties`), then the socket closes. */
  async disconnect(reasonCode?: number, properties?: Properties): Promise<void> {
    this.raw.send({ cmd: 'disconnect', ...(reasonCode === undefined ? {} : { reasonCode }), ...(properties ? { properties } : {}) });
    await this.drop();
  }

  /** An abrupt end: the socket goes without DISCONNECT. */
  async drop(): Promise<void> {
    this.endedByUs = true;
    this.raw.end();
    await this.raw.whenClosed().catch(() => undefined);
  }

  /** Whether the broker closed the connection (recorded at the end of a scenario). */
  get closedByTheBroker(): boolean {
    return this.raw.closed && !this.endedByUs;
  }

  /** Writes a packet as given (for what a well-behaved client would not send). */
  send(packet: Record<string, unknown>): void {
    this.raw.send(packet);
  }
}

/** One run of a scenario on one broker: its clients, and what they recorded. */
export class ScenarioRun {
  private readonly clients: [string, ScenarioClient][] = [];
  readonly recording: Recording = {};

  constructor(private readonly port: number, readonly version: 4 | 5, private readonly tag: string) {}

  /** The CONNECT fields of a persistent session (a minute long) in this run's MQTT version; `properties`: more MQTT 5 ones. */
  persistent(properties: Properties = {}): Properties {
    return this.version === 5 ? { clean: false, properties: { sessionExpiryInterval: 60, ...properties } } : { clean: false };
  }

  /** Ends the persistent session of client `id` left on the broker: a clean connection of that id (`id`-clean in the recording), then DISCONNECT. */
  async endSession(id: string): Promise<void> {
    await (await this.client(`${id}-clean`, {}, id)).disconnect();
  }

  /** Time passing (a keepalive or an expiry running out). */
  async pause(ms: number): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, ms));
  }

  /** A topic (or filter) of this scenario: `tag/name`, so that scenarios sharing a broker do not meet. */
  topic(name: string): string {
    return `${this.tag}/${name}`;
  }

  /**
   * A connected client, named `name` in the recording; its client id is the tag and `id` (another
   * connection of an earlier client: its name). `recorded` false: what it receives is not compared
   * (another scenario compares it).
   */
  async client(name: string, connect: Properties = {}, id = name, recorded = true): Promise<ScenarioClient> {
    const lines: string[] = [];
    if (recorded) this.recording[name] = lines;
    const client = await ScenarioClient.open(this.port, this.version, lines);
    this.clients.push([name, client]);
    await client.connect(`${this.tag}-${id}`, connect);
    return client;
  }

  /** Everything written to the clients still connected has arrived; who was closed by the broker is noted; all are closed. */
  async finish(): Promise<Recording> {
    await Promise.all(this.clients.map(([, client]) => client.sync()));
    for (const [name, client] of this.clients) {
      if (client.closedByTheBroker) this.recording[name]?.push('closed by the broker');
    }
    await Promise.all(this.clients.map(([, client]) => client.drop()));
    return this.recording;
  }
}
