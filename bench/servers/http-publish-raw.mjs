/**
 * The raw floor for the HTTP publisher: what relay-http's plain Node HTTP server does
 * (http-publish-floor.mjs), but over the connection's bytes, without node:http. It measures how
 * much of that floor is Node's HTTP machinery (IncomingMessage and ServerResponse, header objects,
 * socket timeouts, 'finish' events) and how much is the per-request system calls and wake-ups
 * every HTTP server pays.
 *
 * A minimal request reader, not an HTTP parser: the request line, headers up to the blank line, a
 * Content-Length body; keep-alive. The answers carry what node:http's do (status line,
 * content-type, content-length, Date, Connection: keep-alive, Keep-Alive: timeout=5) and are
 * written with one socket.write each; every answer ready in one 'data' event leaves in one writev
 * (the socket is corked around the loop). A request it cannot read ends the connection with a
 * 400. The bench never sends one.
 */

const HEAD_END = Buffer.from('\r\n\r\n');
const MAX_HEAD_BYTES = 16 * 1024;
const MAX_BODY_BYTES = 1024 * 1024;

let dateText = '';
let dateSecond = -1;
/** The Date header's value, made once a second as node:http does. */
function httpDate() {
  const second = Math.floor(Date.now() / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(second * 1000).toUTCString();
  }
  return dateText;
}

function answerText(status, reason, type, text) {
  return `HTTP/1.1 ${status} ${reason}\r\ncontent-type: ${type}\r\ncontent-length: ${Buffer.byteLength(text)}\r\n`
    + `Date: ${httpDate()}\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\n${text}`;
}

/** Content-Length of a request head (latin1 text without the blank line), or -1 when it has none or a bad one. */
function contentLength(head) {
  let at = 0;
  for (;;) {
    const line = head.indexOf('\r\n', at);
    if (line < 0) return -1;
    at = line + 2;
    // Header names are case-insensitive; compare the 15 characters of "content-length:".
    if (head.length - at > 15 && head.charCodeAt(at + 14) === 58 && head.slice(at, at + 14).toLowerCase() === 'content-length') {
      const end = head.indexOf('\r\n', at);
      const value = Number(head.slice(at + 15, end < 0 ? head.length : end).trim());
      return Number.isInteger(value) && value >= 0 ? value : -1;
    }
  }
}

/** Serves POST /publish {"topic", "args"} on `socket`, handing topic and args to `publish`. */
export function servePublishConnection(socket, publish) {
  let pending = Buffer.alloc(0);
  const refuse = (text) => {
    socket.end(answerText(400, 'Bad Request', 'text/plain', `${text}\n`));
    socket.removeAllListeners('data');
  };
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    socket.cork();
    try {
      for (;;) {
        const headEnd = pending.indexOf(HEAD_END);
        if (headEnd < 0) {
          if (pending.length > MAX_HEAD_BYTES) refuse('the request head is too long');
          return;
        }
        const head = pending.latin1Slice(0, headEnd);
        const length = contentLength(head);
        if (length < 0 || length > MAX_BODY_BYTES) return refuse('a POST with a Content-Length body only');
        const bodyStart = headEnd + 4;
        if (pending.length < bodyStart + length) return;
        const body = pending.utf8Slice(bodyStart, bodyStart + length);
        pending = pending.subarray(bodyStart + length);
        if (!head.startsWith('POST /publish ')) {
          socket.write(answerText(404, 'Not Found', 'text/plain', 'POST /publish only\n'));
          continue;
        }
        let parsed;
        try {
          parsed = JSON.parse(body);
        } catch {
          socket.write(answerText(400, 'Bad Request', 'text/plain', 'the body is not JSON\n'));
          continue;
        }
        if (typeof parsed?.topic !== 'string' || !Array.isArray(parsed.args)) {
          socket.write(answerText(400, 'Bad Request', 'text/plain', 'expected {"topic": string, "args": list}\n'));
          continue;
        }
        socket.write(answerText(200, 'OK', 'application/json', `{"id":${publish(parsed.topic, parsed.args)}}`));
      }
    } finally {
      socket.uncork();
    }
  });
}

/**
 * Takes over `httpServer`'s connections: one whose first octet is 'P' (a POST; the bench's other
 * connections are WebSocket upgrades, GET) is served by servePublishConnection, any other is
 * handed to the HTTP server's own connection handling with the octet put back in front.
 */
export function divertPosts(httpServer, publish) {
  const httpListeners = httpServer.listeners('connection');
  httpServer.removeAllListeners('connection');
  httpServer.on('connection', (socket) => {
    const readable = () => {
      const first = socket.read(1);
      if (first === null) return;
      socket.off('readable', readable);
      socket.unshift(first);
      if (first[0] === 0x50) servePublishConnection(socket, publish);
      else for (const listener of httpListeners) listener.call(httpServer, socket);
    };
    socket.on('readable', readable);
  });
}
