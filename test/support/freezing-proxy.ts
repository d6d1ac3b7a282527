import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** One connection through the proxy: the client's side, Redis's side, and the start of what the client sent. */
interface Pipe {
  client: Socket;
  upstream: Socket;
  sent: string;
  frozen: boolean;
  /** What the client sent since holdLater() caught it, held back until letGo(). */
  held?: Buffer[];
}

/** What holdLater() holds back: connections whose client sends something matching. */
interface Holding {
  sent: RegExp | undefined;
}

/** How much of what a client sends is kept for freeze() to match: enough for its first commands. */
const KEPT_BYTES = 16 * 1024;

/**
 * A TCP proxy on a free loopback port in front of one server, whose connections can be frozen one
 * by one: a frozen connection stays open and reads nothing either way, as a half-open connection
 * after a network fault or a proxy that stopped forwarding it. Connections made later pass.
 */
export class FreezingProxy {
  private constructor(private readonly server: Server, readonly port: number, private readonly pipes: Set<Pipe>, private readonly holding: Holding) {}

  static async start(targetPort: number): Promise<FreezingProxy> {
    const pipes = new Set<Pipe>();
    const holding: Holding = { sent: undefined };
    const server = createServer((client) => {
      const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
      const pipe: Pipe = { client, upstream, sent: '', frozen: false };
      pipes.add(pipe);
      client.on('data', (chunk: Buffer) => {
        if (pipe.sent.length < KEPT_BYTES) pipe.sent += chunk.toString('latin1').slice(0, KEPT_BYTES - pipe.sent.length);
        if (pipe.held === undefined && !pipe.frozen && holding.sent?.test(pipe.sent)) pipe.held = [];
        if (pipe.held) pipe.held.push(chunk);
        else upstream.write(chunk);
      });
      upstream.on('data', (chunk: Buffer) => client.write(chunk));
      const end = (): void => {
        pipes.delete(pipe);
        client.destroy();
        upstream.destroy();
      };
      for (const socket of [client, upstream]) {
        socket.on('error', end);
        socket.on('close', end);
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('the proxy has no TCP port');
    return new FreezingProxy(server, address.port, pipes, holding);
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  /**
   * Freezes the open connections, not frozen yet, whose client sent something matching `sent`;
   * returns how many. (A frozen one stays open here, whatever its ends did, as it reads nothing.)
   */
  freeze(sent: RegExp): number {
    return this.stop(sent, (pipe) => [pipe.client, pipe.upstream]);
  }

  /**
   * As freeze, but what the client sends still reaches the server: only the answers are held, as
   * when a connection goes half-open after the server took a command. Returns how many.
   */
  holdAnswers(sent: RegExp): number {
    return this.stop(sent, (pipe) => [pipe.upstream]);
  }

  /**
   * From now on, what a connection's client sends stops short of the server, from the moment what
   * it sent matches `sent`, until letGo(): a connection made again after a freeze does not get
   * through either, for as long as the test needs to look at what that does.
   */
  holdLater(sent: RegExp): void {
    this.holding.sent = sent;
  }

  /** Ends holdLater(): what was held reaches the server, and what follows passes. */
  letGo(): void {
    this.holding.sent = undefined;
    for (const pipe of this.pipes) {
      const held = pipe.held;
      pipe.held = undefined;
      for (const chunk of held ?? []) pipe.upstream.write(chunk);
    }
  }

  private stop(sent: RegExp, sides: (pipe: Pipe) => Socket[]): number {
    let stopped = 0;
    for (const pipe of this.pipes) {
      if (pipe.frozen || !sent.test(pipe.sent)) continue;
      pipe.frozen = true;
      for (const socket of sides(pipe)) socket.pause();
      stopped++;
    }
    return stopped;
  }

  async close(): Promise<void> {
    for (const { client, upstream } of this.pipes) {
      client.destroy();
      upstream.destroy();
    }
    this.pipes.clear();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
