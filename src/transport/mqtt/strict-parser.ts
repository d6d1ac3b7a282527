import { isUtf8 } from 'node:buffer';
import { createRequire } from 'node:module';
import type { IConnectPacket, Packet } from 'mqtt-packet';

/**
 * mqtt-packet's parser, one per connection, made strict and small:
 * - it refuses what MQTT calls a malformed UTF-8 string (MQTT-1.5.4-1, -2): ill-formed UTF-8
 *   (surrogates included) or U+0000. mqtt-packet decodes strings leniently, so a topic with
 *   invalid bytes would be published under U+FFFD replacements: silently altered;
 * - it hands packets and its first error to its connection (a PacketSink) instead of emitting
 *   them: no listener closures per connection;
 * - it holds what an idle connection needs and no more (bench/RESULTS.md, "MQTT memory per idle
 *   connection"): a plain buffer list instead of bl's stream (a Duplex with both stream states,
 *   about 1 KiB), the state table shared, and after CONNECT only the protocol version instead of
 *   the whole CONNECT packet (password included), which mqtt-packet keeps as its "settings";
 * - it keeps every User Property value: mqtt-packet groups repeated names with a truth test, so
 *   an empty value followed by another of its name was overwritten (a="" then a="b" arrived as
 *   a="b": silently altered).
 * This leans on mqtt-packet 9's internals (named in ParserInternals); strict-parser.test.ts fails
 * if they change under it.
 */

/** Where a parser's packets go, and its first error (the connection closes on it). */
export interface PacketSink {
  packet(packet: Packet): void;
  malformed(error: Error): void;
}

/** The parts of mqtt-packet 9's Parser this module uses or replaces. */
interface ParserInternals {
  settings: ParserSettings;
  _states: readonly string[];
  _list: { slice(start: number, end: number): Buffer; readonly length: number };
  _pos: number;
  error: Error | null;
  packet: { length: number };
  parse(chunk: Buffer): number;
  emit(event: string, value: unknown): boolean;
  _resetState(): void;
  _parseString(): string | null;
  _parseByType(type: string): unknown;
  _parseProperties(): Properties | false;
  _parseConnect(): IConnectPacket & { bridgeMode?: boolean } | undefined | null;
  _emitError(error: Error): void;
}

/** A User Property as mqtt-packet reads it (a name or value that is not UTF-8 is null: the packet is refused). */
interface UserProperty {
  name: string | null;
  value: string | null;
}

/** Properties as mqtt-packet reads them: by name; User Properties grouped by their name. */
type Properties = Record<string, unknown> & { userProperties?: Record<string, string | string[]> };

/** What mqtt-packet's parser reads of its settings. */
interface ParserSettings {
  readonly protocolVersion?: number;
  readonly bridgeMode?: boolean;
}

const fromMqttPacket = createRequire(createRequire(import.meta.url).resolve('mqtt-packet'));
/** The class behind mqtt-packet's `parser()` factory (the package exports only the factory). */
const Parser = fromMqttPacket('./parser.js') as new () => ParserInternals;
/** bl's list without the stream around it (mqtt-packet's own dependency, the same code). */
const BufferList = fromMqttPacket('bl/BufferList.js') as new () => ParserInternals['_list'];
/** The list of every parser between packets: always empty (parse gives a parser its own before appending). */
const idleList = new BufferList();

export const malformedStringMessage = 'a string is not well-formed UTF-8 or contains U+0000 (MQTT-1.5.4)';

/** mqtt-packet's state table: the same for every parser (it makes one per parser). */
const states = Object.freeze(['_parseHeader', '_parseLength', '_parsePayload', '_newPacket']);
const noSettings: ParserSettings = Object.freeze({});
/** Settings after CONNECT, one object per protocol version and bridge mode. */
const settingsAfterConnect = new Map<string, ParserSettings>();

function settingsFor(protocolVersion: number | undefined, bridgeMode: boolean): ParserSettings {
  const key = `${protocolVersion}/${bridgeMode}`;
  let settings = settingsAfterConnect.get(key);
  if (!settings) settingsAfterConnect.set(key, settings = Object.freeze(bridgeMode ? { protocolVersion, bridgeMode } : { protocolVersion }));
  return settings;
}

export class StrictParser extends Parser {
  constructor(private readonly sink: PacketSink) {
    super();
    // What mqtt-packet's parser(options) does, with the shared table and empty settings.
    this.settings = noSettings;
    this._states = states;
    this._resetState();
  }

  /** The announced length of the packet being read (-1 until its header is read). */
  get pendingLength(): number {
    return this.packet.length;
  }

  /** Between packets (an idle connection) the list is the shared empty one: a list holds on to its largest array. */
  override parse(chunk: Buffer): number {
    if (this.error) this._resetState(); // as mqtt-packet's parse does first, before it appends
    if (this._list === idleList) this._list = new BufferList();
    const left = super.parse(chunk);
    if (left === 0 && this._list !== idleList) this._list = idleList;
    return left;
  }

  override _resetState(): void {
    super._resetState();
    this._list = idleList;
  }

  override _parseConnect(): ReturnType<ParserInternals['_parseConnect']> {
    const packet = super._parseConnect();
    if (packet) this.settings = settingsFor(packet.protocolVersion, packet.bridgeMode === true);
    return packet;
  }

  override _parseString(): string | null {
    const start = this._pos;
    const text = super._parseString();
    if (text === null) return null;
    // The string's bytes follow its 2-byte length.
    const bytes = this._list.slice(start + 2, this._pos);
    if (isUtf8(bytes) && !bytes.includes(0)) return text;
    this._emitError(new Error(malformedStringMessage));
    return null;
  }

  /** The User Properties of the properties being read, in order (see _parseProperties). */
  private userProperties: UserProperty[] | undefined;

  override _parseByType(type: string): unknown {
    const value = super._parseByType(type);
    if (type === 'pair') (this.userProperties ??= []).push(value as UserProperty);
    return value;
  }

  /** mqtt-packet's, but for an empty User Property value: then the group is made again from the pairs as read. */
  override _parseProperties(): Properties | false {
    this.userProperties = undefined;
    const properties = super._parseProperties();
    const read = this.userProperties as UserProperty[] | undefined; // set by super._parseProperties, through _parseByType
    this.userProperties = undefined;
    if (properties && read?.some((property) => property.value === '')) properties.userProperties = groupedByName(read);
    return properties;
  }

  // The caller of a failed string emits its own error next ("Cannot parse topic"): the first one says why.
  override _emitError(error: Error): void {
    if (this.error === null) super._emitError(error);
  }

  /** mqtt-packet emits 'packet' and 'error' only: both go straight to the sink. */
  override emit(event: string, value: unknown): boolean {
    if (event === 'packet') this.sink.packet(value as Packet);
    else if (event === 'error') this.sink.malformed(value as Error);
    return true;
  }
}

/** User Properties by name, as mqtt-packet gives them: a value, or the values of a repeated name in order. */
function groupedByName(read: readonly UserProperty[]): Record<string, string | string[]> {
  const grouped: Record<string, string | string[]> = Object.create(null);
  for (const { name, value } of read) {
    const key = String(name);
    const text = value as string;
    const earlier = grouped[key];
    if (earlier === undefined) grouped[key] = text;
    else if (Array.isArray(earlier)) earlier.push(text);
    else grouped[key] = [earlier, text];
  }
  return grouped;
}
