import type { Socket } from 'node:net';
import type { RawSocketAcceptor } from '../transport/rawsocket/sniff.js';

/**
 * The RawSocket side of a listener across config reloads: new connections go to the newest
 * acceptor (its settings and auth); connections an older one accepted stay with it until the
 * listener closes.
 */
export class SwappableAcceptor implements RawSocketAcceptor {
  private readonly retired: RawSocketAcceptor[] = [];

  constructor(private current: RawSocketAcceptor) {}

  accept(socket: Socket): void {
    this.current.accept(socket);
  }

  swap(next: RawSocketAcceptor): void {
    this.retired.push(this.current);
    this.current = next;
  }

  async close(): Promise<void> {
    await Promise.all([this.current, ...this.retired].map((acceptor) => acceptor.close()));
  }
}
