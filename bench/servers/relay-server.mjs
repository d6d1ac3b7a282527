import { createServer } from 'node:http';
import { Sender, WebSocketServer } from 'ws';
import { codecNamed } from '../lib/codecs.mjs';
import { childSettings, onParent, tell } from '../lib/worker-ipc.mjs';
import { handlePublishRequest } from './http-publish-floor.mjs';
import { divertPosts } from './http-publish-raw.mjs';

/**
 * The floor: a WebSocket relay that does the router's work without WAMP. It decodes every frame,
 * keeps topic -> subscribers and one callee per procedure, encodes each event once to bytes and
 * writes those bytes to every subscriber, and maps forwarded calls back to their caller by an
 * invocation id. Frame shapes are documented in clients/relay-client.mjs.
 *
 * With settings.corked (the "relay-corked" system) it also coalesces writes: every socket written
 * to during one event-loop turn is corked until the turn ends, so a burst of frames to the same
 * client leaves in one writev instead of one each. It shows what write batching is worth.
 *
 * With settings.framed (the "relay-framed" system, the floor for fan-out) it also frames each
 * message once: ws's Sender.frame builds the header, header and payload go into one buffer, and
 * that same buffer is written to the socket under every subscriber (`ws._socket`), corked per turn.
 *
 * With settings.httpPublish (the "relay-http" system, the HTTP publisher's floor) its port also
 * answers POST /publish {"topic", "args"} with a plain Node HTTP server (http-publish-floor.mjs).
 * With settings.httpPublishRaw as well (the "relay-http-raw" system) those POSTs are answered
 * without node:http, by a minimal request reader over the socket (http-publish-raw.mjs): the floor
 * of any Node HTTP server, its system calls and wake-ups without Node's HTTP machinery.
 */

const settings = childSettings();
const codec = codecNamed(settings.serializer);
const frameOptions = { binary: codec.binary };
const senderFrameOptions = { fin: true, opcode: codec.binary ? 2 : 1, mask: false, readOnly: false, rsv1: false };
const subscribersByTopic = new Map(); // topic -> Set<ws>
const calleeByProcedure = new Map(); // procedure -> ws
const pendingCalls = new Map(); // invocation id -> { caller, requestId }
let nextInvocationId = 1;
let nextPublicationId = 1;

const corkedThisTurn = new Set();
function uncorkAll() {
  for (const ws of corkedThisTurn) ws._socket.uncork();
  corkedThisTurn.clear();
}

function write(ws, bytes) {
  // ws has no public cork; its underlying net.Socket (ws._socket) does.
  if ((settings.corked || settings.framed) && !corkedThisTurn.has(ws)) {
    ws._socket.cork();
    corkedThisTurn.add(ws);
    if (corkedThisTurn.size === 1) setImmediate(uncorkAll);
  }
  if (settings.framed) ws._socket.write(bytes);
  else ws.send(bytes, frameOptions);
}

// Encoded once to a Buffer, so ws does not re-encode a string for every subscriber; in the framed
// relay, the whole WebSocket frame.
function frameBytes(frame) {
  const encoded = codec.encode(frame);
  const bytes = typeof encoded === 'string' ? Buffer.from(encoded) : encoded;
  if (!settings.framed) return bytes;
  const [header, payload] = Sender.frame(bytes, senderFrameOptions);
  return payload ? Buffer.concat([header, payload]) : header;
}

function send(ws, frame) {
  write(ws, frameBytes(frame));
}

/** Sends ['ev', topic, args] to the topic's subscribers; returns a publication id. */
function publish(topic, args) {
  const subscribers = subscribersByTopic.get(topic);
  if (subscribers) {
    const bytes = frameBytes(['ev', topic, args]);
    for (const subscriber of subscribers) write(subscriber, bytes);
  }
  return nextPublicationId++;
}

function handle(ws, frame) {
  switch (frame[0]) {
    case 'pub':
      publish(frame[2], frame[3]);
      return send(ws, ['ok', frame[1]]);
    case 'call': {
      const callee = calleeByProcedure.get(frame[2]);
      if (!callee) return send(ws, ['err', frame[1], 'no such procedure']);
      const invocationId = nextInvocationId++;
      pendingCalls.set(invocationId, { caller: ws, requestId: frame[1] });
      return send(callee, ['inv', invocationId, frame[3]]);
    }
    case 'yield': {
      const pending = pendingCalls.get(frame[1]);
      if (!pending) return;
      pendingCalls.delete(frame[1]);
      return send(pending.caller, ['res', pending.requestId, frame[2]]);
    }
    case 'sub': {
      let subscribers = subscribersByTopic.get(frame[2]);
      if (!subscribers) subscribersByTopic.set(frame[2], (subscribers = new Set()));
      subscribers.add(ws);
      return send(ws, ['ok', frame[1]]);
    }
    case 'reg':
      calleeByProcedure.set(frame[2], ws);
      return send(ws, ['ok', frame[1]]);
    default:
      return send(ws, ['err', frame[1] ?? 0, `unknown frame ${String(frame[0])}`]);
  }
}

function forget(ws) {
  for (const subscribers of subscribersByTopic.values()) subscribers.delete(ws);
  for (const [procedure, callee] of calleeByProcedure) if (callee === ws) calleeByProcedure.delete(procedure);
  for (const [invocationId, pending] of pendingCalls) if (pending.caller === ws) pendingCalls.delete(invocationId);
}

const httpServer = settings.httpPublish ? createServer((request, response) => handlePublishRequest(request, response, publish)) : undefined;
if (httpServer && settings.httpPublishRaw) divertPosts(httpServer, publish);
const server = httpServer
  ? new WebSocketServer({ server: httpServer, perMessageDeflate: false })
  : new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
server.on('connection', (ws) => {
  ws.on('message', (data) => {
    let frame;
    try {
      frame = codec.decode(data);
    } catch {
      return ws.close(1007, 'undecodable frame');
    }
    handle(ws, frame);
  });
  ws.on('close', () => forget(ws));
  ws.on('error', () => {});
});
server.on('listening', () => tell({ type: 'listening', url: `ws://127.0.0.1:${server.address().port}/` }));
httpServer?.listen(0, '127.0.0.1');

onParent('close', () => process.exit(0));
