import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { now } from '../lib/clock.mjs';
import { codecNamed } from '../lib/codecs.mjs';
import { FrameReader, maskedFrame, OPCODE, scanEventArgs } from '../lib/ws-frames.mjs';
import { WampSession } from './wamp-session.mjs';

/**
 * A WAMP subscriber that costs the load generator a small fraction of what the router spends on
 * it (bench/run.mjs --lean-subscribers), so a fan-out bench on a small machine measures the router
 * and not its own clients. It joins and subscribes with the usual WampSession (wamp-session.mjs),
 * over a WebSocket it opens itself on a plain TCP socket (the upgrade and the few frames it sends
 * are written here: no ws Receiver, no per-read Buffer, no stream machinery). Then:
 *
 * - reads go into one buffer shared by every connection of the process (net's `onread`), and with
 *   `readIntervalMs` a socket is paused after each read and resumed by one timer for all of them,
 *   so the kernel gathers many events into each read;
 * - each read is cut into frames by walking their headers (lib/ws-frames.mjs), and an EVENT's
 *   subscription id and args[0] (sequence number) are found by scanning its first bytes; any
 *   other message, or an event not in the expected shape, is parsed in full and handed to the
 *   session. The subscription id says which subscription (so which topic) an event is for.
 *
 * subscribe(topic, onSequence(seq, arrived)) resolves once SUBSCRIBED; `arrived` is
 * when the read holding the event was taken (ms, lib/clock.mjs): with bulk reads a per-event
 * latency would measure the read interval, so lean subscribers record none. `node` is the router
 * node that answered (WELCOME's x_junction_node, 'single' without one). JSON only.
 */

const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const EVENT_PREFIX = Buffer.from('[36,');
const VALUES_BEFORE_ARGS = 3; // subscription id, publication id, details
const MAX_HANDSHAKE_BYTES = 16 * 1024;
const CLOSE_NORMAL = Buffer.from([0x03, 0xe8]); // status 1000

// One read buffer for every connection: a read is fully consumed before the next one starts.
const readBuffer = Buffer.allocUnsafe(256 * 1024);
const scanned = { key: -1, integer: 0, seq: 0 };

// Bulk reading: the sockets paused since the last tick, resumed together every interval.
const pausedByInterval = new Map(); // interval ms -> sockets paused after a read
function pauseUntilNextTick(socket, intervalMs) {
  let paused = pausedByInterval.get(intervalMs);
  if (!paused) {
    paused = [];
    pausedByInterval.set(intervalMs, paused);
    setInterval(() => {
      for (const each of paused.splice(0)) if (!each.destroyed) each.resume();
    }, intervalMs).unref();
  }
  paused.push(socket);
}

export function connectLeanWamp({ url, realm = 'realm1', serializer = 'json', readIntervalMs = 0 }) {
  if (serializer !== 'json') throw new Error(`lean subscribers read JSON frames only (wamp.2.json), not ${serializer}`);
  const subscriber = new LeanSubscriber(new URL(url), readIntervalMs);
  return subscriber.open(realm);
}

class LeanSubscriber {
  constructor(url, readIntervalMs) {
    this.url = url;
    this.key = randomBytes(16).toString('base64');
    this.upgraded = false;
    this.handshake = '';
    this.fragments = null; // the frames of a fragmented message so far
    this.arrived = 0;
    this.node = undefined;
    this.handlers = new Map(); // subscription id -> onSequence
    this.readsSequences = true;
    this.reader = new FrameReader((opcode, fin, buffer, start, end) => this.frame(opcode, fin, buffer, start, end));
    this.socket = connect({
      host: url.hostname,
      port: Number(url.port),
      noDelay: true,
      onread: {
        buffer: readBuffer,
        callback: (bytes, buffer) => {
          this.received(buffer.subarray(0, bytes));
          if (readIntervalMs <= 0 || !this.upgraded) return true;
          pauseUntilNextTick(this.socket, readIntervalMs);
          return false; // paused: the kernel gathers what arrives until the next tick
        },
      },
    });
    const link = {
      send: (text) => this.socket.write(maskedFrame(OPCODE.text, Buffer.from(text))),
      close: () => this.endSocket(),
      drop: () => this.socket.destroy(),
      isOpen: () => this.upgraded && !this.socket.destroyed && this.socket.writable,
    };
    this.session = new WampSession(link, codecNamed('json'));
    this.ended = new Promise((resolve) => this.socket.once('close', resolve));
    this.socket.on('close', () => this.session.linkClosed('socket closed'));
  }

  open(realm) {
    return new Promise((resolve, reject) => {
      this.socket.once('error', reject);
      this.socket.on('error', (error) => this.session.linkClosed(error.message));
      // Closed with no error before the join (no effect once joined): the join fails, never hangs.
      this.socket.once('close', () => reject(new Error('the connection closed before WELCOME')));
      this.joined = { realm, resolve, reject };
      this.socket.once('connect', () => this.socket.write([
        `GET ${this.url.pathname} HTTP/1.1`, `Host: ${this.url.host}`, 'Upgrade: websocket', 'Connection: Upgrade',
        `Sec-WebSocket-Key: ${this.key}`, 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Protocol: wamp.2.json', '', '',
      ].join('\r\n')));
    }).then(() => this);
  }

  received(chunk) {
    try {
      this.arrived = now();
      if (this.upgraded) this.reader.push(chunk);
      else this.readHandshake(chunk);
    } catch (error) {
      this.socket.destroy(error); // a protocol fault: the run counts this subscriber's events as lost
    }
  }

  readHandshake(chunk) {
    this.handshake += chunk.toString('latin1');
    const end = this.handshake.indexOf('\r\n\r\n');
    if (end < 0) {
      if (this.handshake.length > MAX_HANDSHAKE_BYTES) throw new Error('the WebSocket handshake response has no end');
      return;
    }
    const [status, ...lines] = this.handshake.slice(0, end).split('\r\n');
    const headers = new Map(lines.map((line) => [line.slice(0, line.indexOf(':')).trim().toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
    const accept = createHash('sha1').update(this.key + WEBSOCKET_GUID).digest('base64');
    if (!/^HTTP\/1\.1 101 /.test(status)) throw new Error(`the WebSocket upgrade was refused: ${status}`);
    if (headers.get('sec-websocket-accept') !== accept) throw new Error('the WebSocket upgrade has a wrong Sec-WebSocket-Accept');
    if (headers.get('sec-websocket-protocol') !== 'wamp.2.json') throw new Error(`the router chose subprotocol "${headers.get('sec-websocket-protocol')}", not wamp.2.json`);
    const rest = Buffer.from(this.handshake.slice(end + 4), 'latin1');
    this.handshake = '';
    this.upgraded = true;
    const { realm, resolve, reject } = this.joined;
    this.session.join(realm).then(() => {
      this.node = this.session.welcomeDetails?.x_junction_node ?? 'single';
      resolve();
    }, reject);
    if (rest.length > 0) this.reader.push(rest);
  }

  frame(opcode, fin, buffer, start, end) {
    switch (opcode) {
      case OPCODE.text:
        if (fin) return this.message(buffer, start, end);
        this.fragments = [Buffer.from(buffer.subarray(start, end))];
        return;
      case OPCODE.continuation: {
        if (!this.fragments) throw new Error('a continuation frame with no message started');
        this.fragments.push(Buffer.from(buffer.subarray(start, end)));
        if (!fin) return;
        const whole = Buffer.concat(this.fragments);
        this.fragments = null;
        return this.message(whole, 0, whole.length);
      }
      case OPCODE.ping:
        this.socket.write(maskedFrame(OPCODE.pong, buffer.subarray(start, end)));
        return;
      case OPCODE.pong:
        return;
      case OPCODE.close:
        return this.endSocket();
      default:
        throw new Error(`unexpected WebSocket opcode ${opcode} on a wamp.2.json connection`);
    }
  }

  message(buffer, start, end) {
    if (scanEventArgs(buffer, start, end, EVENT_PREFIX, VALUES_BEFORE_ARGS, scanned)) {
      const handler = this.handlers.get(scanned.key);
      if (handler) handler(scanned.seq, this.arrived);
      else this.session.unexpectedEvents++;
      return;
    }
    this.session.receive(JSON.parse(buffer.toString('utf8', start, end)));
  }

  async subscribe(topic, onSequence) {
    const subscriptionId = await this.session.subscribe(topic, (args) => onSequence(args[0], this.arrived));
    this.handlers.set(subscriptionId, onSequence);
  }

  /** Events for a subscription this session does not hold (a fault, counted like a duplicate). */
  get unexpectedEvents() {
    return this.session.unexpectedEvents;
  }

  get closed() {
    return this.session.closed;
  }

  /** GOODBYE, then the WebSocket close frame and the end of the TCP connection. */
  close() {
    this.session.close();
  }

  endSocket() {
    if (this.socket.writable) this.socket.end(maskedFrame(OPCODE.close, CLOSE_NORMAL));
  }
}
