/** What the node holds of each listening socket, whatever it speaks (listeners.ts builds them). */

import type { Server } from 'node:net';
import type { ListenerChange } from './reload/config-diff.js';
import type { NodeContext } from './web/service-context.js';

/** One URL a listener serves, and the service there ("websocket", "publisher"...). */
export interface ServedUrl {
  url: string;
  service: string;
}

/** A listening socket of the node, whatever it speaks. */
export interface Listener {
  /** Binds; resolves to the port bound and the URLs served there. */
  listen(): Promise<{ port: number; served: ServedUrl[] }>;
  /** The URLs served now (they change when a reload adds or removes paths). */
  served(): ServedUrl[];
  /**
   * A config reload changed its paths or RawSocket settings (never its endpoint). Every new part
   * is built first: if one cannot be, this throws and nothing changed. Resolves to what of the
   * change it kept as it was (each a sentence), usually nothing.
   */
  update(change: ListenerChange, node: NodeContext): Promise<string[]>;
  /** Paths whose service stopped running what it was built to (a WSGI app that exited): a reload rebuilds them. */
  stalePaths?(): string[];
  close(): Promise<void>;
  /** The socket server, for the connection and byte counts. */
  readonly server: Server;
}
