import { chmod } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import type { Logger } from '../../router/log.js';
import type { EndpointConfig } from '../../config/model.js';
import { listenOn, releaseEndpoint } from '../socket-server.js';
import type { ReloadOutcome } from './reloader.js';

/**
 * The node's local control socket: a Unix socket beside the pid file, readable and writable by
 * its owner only. A client sends one JSON line {"command":"reload"} and gets one JSON line back
 * (a ReloadOutcome), then the connection ends. Requests are small and must arrive in time.
 */

const maxRequestBytes = 1024;
const requestTimeoutMs = 5_000;
/** Connections at once; Node closes further ones as they arrive (a reload is asked for rarely). */
const maxConnections = 8;

/** The control socket of the node whose pid file is `pidFile`: "junction.pid" -> "junction.sock". */
export function controlSocketPath(pidFile: string): string {
  return pidFile.endsWith('.pid') ? `${pidFile.slice(0, -'.pid'.length)}.sock` : `${pidFile}.sock`;
}

export interface ControlSocket {
  close(): Promise<void>;
}

export async function serveControlSocket(path: string, reload: () => Promise<ReloadOutcome>, log: Logger): Promise<ControlSocket> {
  const endpoint: EndpointConfig = { type: 'unix', path, port: 0, interface: '' };
  const server = createServer((socket) => serve(socket, reload, log));
  server.maxConnections = maxConnections;
  await listenOn(server, endpoint);
  await chmod(path, 0o600);
  return {
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await releaseEndpoint(endpoint);
    },
  };
}

function serve(socket: Socket, reload: () => Promise<ReloadOutcome>, log: Logger): void {
  let received = '';
  const reply = (outcome: ReloadOutcome): void => {
    socket.end(`${JSON.stringify(outcome)}\n`);
  };
  socket.setTimeout(requestTimeoutMs, () => reply({ ok: false, error: `no complete request within ${requestTimeoutMs} ms` }));
  socket.on('error', (error) => log.debug({ err: error.message }, 'control socket connection failed'));
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('utf8');
    if (received.length > maxRequestBytes) return reply({ ok: false, error: `a request is at most ${maxRequestBytes} bytes` });
    const end = received.indexOf('\n');
    if (end < 0) return;
    socket.removeAllListeners('data');
    socket.setTimeout(0);
    let command: unknown;
    try {
      command = (JSON.parse(received.slice(0, end)) as { command?: unknown }).command;
    } catch {
      return reply({ ok: false, error: 'the request is not a JSON line' });
    }
    if (command !== 'reload') return reply({ ok: false, error: `unknown command ${JSON.stringify(command)}; the only one is "reload"` });
    log.info({}, 'reload requested through the control socket');
    void reload().then(reply);
  });
}

/** Asks the node listening on `path` to reload; rejects when it cannot be reached or answers nonsense. */
export function requestReload(path: string, timeoutMs = 120_000): Promise<ReloadOutcome> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let answer = '';
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs / 1000} s`));
    });
    socket.on('connect', () => socket.write(`${JSON.stringify({ command: 'reload' })}\n`));
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')));
    socket.on('error', reject);
    socket.on('end', () => {
      try {
        resolve(JSON.parse(answer) as ReloadOutcome);
      } catch {
        reject(new Error(`the router answered something that is not a reload outcome: ${JSON.stringify(answer.slice(0, 200))}`));
      }
    });
  });
}
