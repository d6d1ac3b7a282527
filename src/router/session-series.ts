import type { AuthGate } from './hooks.js';
import type { QueuedMessage } from './limits/inbound-queue.js';
import type { Dict } from '../protocol/messages.js';
import type { AttachOptions, DoorSessionLink, Peer, PublishRefusal } from './peer.js';
import type { GoodbyeFollower, Session } from './session.js';

/** What a series needs of the router: a session on its connection, and whether it is shutting down. */
export interface SeriesHost {
  openSession(peer: Peer, auth: AuthGate, options: AttachOptions, series: GoodbyeFollower): Session;
  readonly isClosing: boolean;
}

/**
 * The link of a connection that may carry several sessions one after another. The spec lets a
 * transport outlive a session: a client that said GOODBYE may send a new HELLO on the same
 * connection (Autobahn|Python's "session series" example does). Each session is a new Session
 * object, so nothing of the previous one (an authorizer answer still pending, request IDs, its
 * identity) can reach the next. The next one has the transport's HELLO timeout to begin; without
 * a HELLO by then the connection is closed (no ABORT: a client done after GOODBYE is no violator).
 * It keeps what opens a session in fields, not in closures: one object per connection.
 */
export class SessionSeries implements DoorSessionLink, GoodbyeFollower {
  private current: Session;

  constructor(
    private readonly host: SeriesHost,
    peer: Peer,
    private readonly auth: AuthGate,
    private readonly options: AttachOptions,
  ) {
    this.current = host.openSession(peer, auth, options, this);
  }

  receive(decoded: unknown, bytes: number): void {
    this.current.receive(decoded, bytes);
  }

  receiveGarbage(reason: string): void {
    this.current.receiveGarbage(reason);
  }

  detach(): void {
    this.current.detach();
  }

  publishRefusal(topic: string, options: Dict): Promise<PublishRefusal | undefined> {
    return this.current.publishRefusal(topic, options);
  }

  /**
   * The current session ended with GOODBYE; messages the client sent after it go to the next one.
   * A router shutting down opens none: the connection is closed.
   */
  afterGoodbye(pipelined: readonly QueuedMessage[]): void {
    const peer = this.current.peer;
    if (this.host.isClosing) return peer.close();
    const session = this.host.openSession(peer, this.auth, this.options, this);
    session.followsGoodbye = true;
    this.current = session;
    for (const { message, bytes } of pipelined) session.receive(message, bytes);
  }
}
