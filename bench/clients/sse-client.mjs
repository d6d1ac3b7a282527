import { connect } from 'node:net';
import { StringDecoder } from 'node:string_decoder';

/**
 * A Server-Sent Events subscriber over a raw TCP connection: it writes one HTTP/1.1 GET and reads
 * the text/event-stream answer itself (status line, headers, chunked transfer coding, then SSE
 * fields), without EventSource or an HTTP library, so its cost per event stays small.
 *
 * Surface of the bench clients (clients/index.mjs): subscribe(topic, onEvent(args, id)) opens the
 * stream `<url>?topic=<topic>` and resolves once the router answered 200 (Junction confirms the
 * subscription before it writes the headers); each SSE message's `data` is
 * {"args": [...], "kwargs": {...}} and onEvent gets its args and its `id` field (what a resume
 * sends back). subscribe(topic, onEvent, { lastEventId }) resumes with a Last-Event-ID header.
 * One stream per connection.
 */

const CRLF = Buffer.from('\r\n');
const HEADERS_END = Buffer.from('\r\n\r\n');
const MAX_HEADER_BYTES = 16_384;
const OPEN_TIMEOUT_MS = 30_000;

export function connectSse({ url }) {
  const { hostname, port, pathname } = new URL(url);
  const socket = connect({ host: hostname, port: Number(port), noDelay: true });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.removeListener('error', reject);
      socket.on('error', () => {});
      resolve(new SseSubscriber(socket, hostname, port, pathname));
    });
  });
}

class SseSubscriber {
  constructor(socket, host, port, path) {
    this.socket = socket;
    this.host = `${host}:${port}`;
    this.path = path;
    this.requested = false;
  }

  subscribe(topic, onEvent, { lastEventId } = {}) {
    if (this.requested) throw new Error('one SSE stream per connection: subscribe once');
    this.requested = true;
    const { socket } = this;
    const resume = lastEventId === undefined ? '' : `Last-Event-ID: ${lastEventId}\r\n`;
    socket.write(`GET ${this.path}?topic=${encodeURIComponent(topic)} HTTP/1.1\r\nHost: ${this.host}\r\nAccept: text/event-stream\r\n${resume}\r\n`);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no answer to the SSE request within ${OPEN_TIMEOUT_MS} ms`));
      }, OPEN_TIMEOUT_MS);
      const events = new EventStreamParser(onEvent);
      let body = null; // set once the headers are read
      let head = Buffer.alloc(0);
      socket.on('data', (chunk) => {
        if (body) return body.push(chunk);
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf(HEADERS_END);
        if (end < 0) {
          if (head.length > MAX_HEADER_BYTES) socket.destroy(new Error('SSE response headers too long'));
          return;
        }
        const { status, headers } = parseHead(head.subarray(0, end).toString('latin1'));
        const rest = head.subarray(end + HEADERS_END.length);
        if (status !== 200) {
          clearTimeout(timer);
          socket.destroy();
          return reject(new Error(`SSE request refused: ${status} ${rest.toString('utf8').slice(0, 300)}`));
        }
        if (!/^text\/event-stream/.test(headers['content-type'] ?? '')) {
          clearTimeout(timer);
          socket.destroy();
          return reject(new Error(`SSE answer has Content-Type ${headers['content-type']}`));
        }
        clearTimeout(timer);
        const chunked = /chunked/i.test(headers['transfer-encoding'] ?? '');
        body = chunked ? new ChunkedDecoder((bytes) => events.push(bytes), () => socket.end()) : { push: (bytes) => events.push(bytes) };
        if (rest.length > 0) body.push(rest);
        resolve();
      });
      socket.on('close', () => {
        clearTimeout(timer);
        reject(new Error('SSE connection closed before the stream opened'));
      });
    });
  }

  publish() {
    throw new Error('an SSE client cannot publish');
  }

  register() {
    throw new Error('an SSE client cannot register');
  }

  call() {
    throw new Error('an SSE client cannot call');
  }

  /** True once the connection is gone. */
  get closed() {
    return this.socket.destroyed || !this.socket.readable;
  }

  close() {
    this.socket.destroy();
  }
}

function parseHead(text) {
  const [statusLine, ...lines] = text.split('\r\n');
  const status = Number(statusLine.split(' ')[1]);
  const headers = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status, headers };
}

/** HTTP/1.1 chunked transfer coding: "<hex size>[;ext]\r\n<bytes>\r\n" ... "0\r\n\r\n". */
class ChunkedDecoder {
  constructor(onBytes, onEnd) {
    this.onBytes = onBytes;
    this.onEnd = onEnd;
    this.pending = Buffer.alloc(0);
    this.remaining = 0; // bytes of the current chunk still to come
    this.skipCrlf = false; // the CRLF after a chunk's bytes
  }

  push(chunk) {
    let data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    let offset = 0;
    for (;;) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, data.length - offset);
        if (take === 0) break;
        this.onBytes(data.subarray(offset, offset + take));
        offset += take;
        this.remaining -= take;
        if (this.remaining === 0) this.skipCrlf = true;
        continue;
      }
      if (this.skipCrlf) {
        if (data.length - offset < 2) break;
        offset += 2;
        this.skipCrlf = false;
        continue;
      }
      const lineEnd = data.indexOf(CRLF, offset);
      if (lineEnd < 0) break;
      const size = parseInt(data.toString('latin1', offset, lineEnd).split(';')[0], 16);
      offset = lineEnd + 2;
      if (!Number.isFinite(size)) throw new Error('bad chunk size in the SSE stream');
      if (size === 0) {
        this.onEnd();
        offset = data.length;
        break;
      }
      this.remaining = size;
    }
    this.pending = offset === data.length ? Buffer.alloc(0) : data.subarray(offset);
  }
}

/**
 * The text/event-stream format: messages end with a blank line; "data:" lines are joined with a
 * newline; `id` is passed on; comments (":") and the other fields (event, retry) are not needed here. Junction
 * writes LF line ends, which is all this parser accepts.
 */
class EventStreamParser {
  constructor(onEvent) {
    this.onEvent = onEvent;
    this.decoder = new StringDecoder('utf8');
    this.text = '';
  }

  push(bytes) {
    this.text += this.decoder.write(bytes);
    let start = 0;
    let end;
    while ((end = this.text.indexOf('\n\n', start)) >= 0) {
      this.message(this.text.slice(start, end));
      start = end + 2;
    }
    this.text = start === 0 ? this.text : this.text.slice(start);
  }

  message(block) {
    let data = null;
    let id;
    for (const line of block.split('\n')) {
      if (line.startsWith('id:')) id = line.slice(line.charCodeAt(3) === 0x20 ? 4 : 3);
      if (!line.startsWith('data:')) continue;
      const value = line.charCodeAt(5) === 0x20 ? line.slice(6) : line.slice(5);
      data = data === null ? value : `${data}\n${value}`;
    }
    if (data !== null) this.onEvent(JSON.parse(data).args ?? [], id);
  }
}
