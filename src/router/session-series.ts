import type { QueuedMessage } from './limits/inbound-queue.js';
import type { SessionLink } from './peer.js';
import type { Session } from './session.js';

/**
 * The link of a connection that may carry several sessions one after another. The spec lets a
 * transport outlive a session: a client that said GOODBYE may send a new HELLO on the same
 * connection (Autobahn|Python's "session series" example does). Each session is a new Session
 * object, so nothing of the previous one (an authorizer answer still pending, request IDs, its
 * identity) can reach the next. The next one has the transport's HELLO timeout to begin; without
 * a HELLO by then the connection is closed (no ABORT: a client done after GOODBYE is no violator).
 */
export class SessionSeries implements SessionLink {
  private current: Session;

  /** `open` starts a session on this connection; the series hands it `next`, to call after GOODBYE. */
  constructor(private readonly open: (next: (pipelined: readonly QueuedMessage[]) => void) => Session) {
    this.current = this.open(this.next);
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

  /** The current session ended with GOODBYE; messages the client sent after it go to the next one. */
  private readonly next = (pipelined: readonly QueuedMessage[]): void => {
    const session = this.open(this.next);
    session.followsGoodbye = true;
    this.current = session;
    for (const { message, bytes } of pipelined) session.receive(message, bytes);
  };
}
