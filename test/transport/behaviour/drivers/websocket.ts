import { WebSocket } from 'ws';
import type { Codec } from '../../../../src/codec/index.js';
import { WireConnection } from '../wire.js';

/** WAMP over WebSocket with the `ws` client: text frames for JSON, binary frames otherwise. */
export class WebSocketConnection extends WireConnection {
  private constructor(codec: Codec, private readonly ws: WebSocket) {
    super(codec);
    ws.on('message', (data: Buffer) => this.received(codec.decode(codec.binary ? data : data.toString('utf8'))));
    ws.on('close', (code: number, reason: Buffer) => this.ended(`websocket closed ${code} ${reason.toString()}`));
    ws.on('error', () => {}); // 'close' follows and says it
  }

  static async open(url: string, codec: Codec): Promise<WebSocketConnection> {
    const ws = new WebSocket(url, [codec.subprotocol]);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    if (ws.protocol !== codec.subprotocol) throw new Error(`asked for ${codec.subprotocol}, got ${ws.protocol}`);
    return new WebSocketConnection(codec, ws);
  }

  send(message: unknown[]): void {
    this.ws.send(this.codec.encode(message), { binary: this.codec.binary });
  }

  async drop(): Promise<void> {
    this.ws.terminate();
    await this.closed;
  }
}
