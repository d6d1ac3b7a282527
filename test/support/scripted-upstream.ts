import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A hostile upstream for the forwarding fuzz tests: a raw TCP server that reads a request's head
 * and answers with whatever bytes the test scripted for it (a valid answer, garbage, half an
 * answer), then ends, stalls or resets the connection. Which script a connection gets is named by
 * a token in the request's head (`/<token>/` in an HTTP path, a subprotocol a WebSocket client
 * offers): `script(bytes, then)` returns the token to put there. `{accept}` in the bytes becomes
 * the Sec-WebSocket-Accept of the request's key, so that a script can complete a handshake.
 */

export type ScriptEnd = 'end' | 'stall' | 'reset';

interface Script {
  answer: Buffer;
  then: ScriptEnd;
}

/** Largest request head read before the connection is answered anyway (a fuzzed head never grows past this). */
const maxHeadBytes = 256 * 1024;

export class ScriptedUpstream {
  private readonly scripts = new Map<string, Script>();
  private readonly sockets = new Set<Socket>();
  private next = 0;

  private constructor(private readonly server: Server, readonly port: number) {}

  static async start(): Promise<ScriptedUpstream> {
    let upstream: ScriptedUpstream | undefined;
    const server = createServer((socket) => upstream!.accepted(socket));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    upstream = new ScriptedUpstream(server, (server.address() as AddressInfo).port);
    return upstream;
  }

  /** Registers what the connection whose request names the returned token gets (`answer` may be made from the token). */
  script(answer: Buffer | string | ((token: string) => Buffer | string), then: ScriptEnd): string {
    const token = `t${++this.next}x`;
    this.scripts.set(token, { answer: Buffer.from(typeof answer === 'function' ? answer(token) : answer), then });
    return token;
  }

  /** Whether the request naming `token` (from script()) arrived, and got its script. */
  reached(token: string): boolean {
    return !this.scripts.has(token);
  }

  /** Connections from the proxy open now. */
  get openConnections(): number {
    return this.sockets.size;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.server.close();
    await once(this.server, 'close');
  }

  private accepted(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => {});
    let head = '';
    const onData = (chunk: Buffer): void => {
      head += chunk.toString('latin1');
      const ended = head.indexOf('\r\n\r\n');
      if (ended < 0 && head.length < maxHeadBytes) return;
      socket.off('data', onData);
      // What follows the head (a body) is read and dropped: the answer does not wait for it.
      socket.resume();
      const token = /[/ ,](t\d+x)(?=[/?&\s,]|$)/.exec(head)?.[1];
      const script = token === undefined ? undefined : this.scripts.get(token);
      if (script === undefined) return void socket.destroy();
      this.scripts.delete(token!);
      if (script.then === 'reset' && script.answer.length === 0) return void socket.resetAndDestroy();
      const key = /^sec-websocket-key: *(\S+)/im.exec(head)?.[1] ?? '';
      const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      socket.write(Buffer.from(script.answer.toString('latin1').replaceAll('{accept}', accept), 'latin1'), () => {
        if (script.then === 'end') socket.end();
        else if (script.then === 'reset') socket.resetAndDestroy();
      });
    };
    socket.on('data', onData);
  }
}
