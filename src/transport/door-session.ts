import { MessageType } from '../protocol/codes.js';
import { ErrorUri } from '../protocol/errors.js';
import { abortText, goodbyeAnswer } from '../protocol/message-text.js';
import type { Hello, Welcome, WampMessage } from '../protocol/messages.js';
import { DoorJoin } from './door-join.js';

/** What only the door knows about its session: the way to the router, and whom to tell when it ends. */
export interface DoorSide {
  /** Hands a message to the router, as the door hands its own (the SSE door holds them while the router has paused it). */
  deliver(message: WampMessage): void;
  /** The session is over: what still waits for the router's answer fails with `uri` and `text`. */
  failWaiting(uri: string, text: string): void;
  /** The router ended the session (GOODBYE, ABORT, closed): the door tells its client why. */
  routerEnded(reason: string): void;
  /** The door ends the session: it leaves the router. */
  detach(): void;
}

/** How a door names itself and its sessions' outcomes to the seam. */
export interface DoorTerms<Identity> {
  /** How the refusal of a CHALLENGE names the door: "... which MQTT cannot answer". */
  door: string;
  identityOf(welcome: Welcome): Identity;
  /** The error a failed join rejects with. */
  refusal(uri: string, text: string): Error;
  /** Why the session ends when the door leaves ("the stream closed"). */
  leaveText: string;
}

/**
 * The part of a door's router session that every such door does alike (MQTT, SSE): the sign-in
 * (DoorJoin), and the end from either side, once. The router's GOODBYE (shutdown, wamp.session.kill)
 * is answered so that the router is not left waiting; its ABORT or closing the session ends it too.
 * The door keeps its own business: its requests, EVENTs, and how it is paced.
 */
export class DoorSession<Identity> {
  private readonly joining: DoorJoin<Identity>;
  /** How the session ended (either side): a join asked after the end is refused with it at once. */
  private endedWith: { uri: string; text: string } | undefined;

  constructor(private readonly terms: DoorTerms<Identity>, private readonly side: DoorSide) {
    this.joining = new DoorJoin(terms.door, terms.identityOf, terms.refusal);
  }

  /** The session has ended, from either side: the router's messages are no longer read. */
  get ended(): boolean {
    return this.endedWith !== undefined;
  }

  /** Sends `hello`; resolves at WELCOME, rejects at ABORT, at a CHALLENGE the ticket cannot answer, or at the end. */
  join(hello: Hello, ticket: string | undefined): Promise<Identity> {
    // A router that is shutting down sends ABORT as soon as the door attaches, before any HELLO.
    if (this.endedWith) return Promise.reject(this.terms.refusal(this.endedWith.uri, this.endedWith.text));
    return this.joining.start(ticket, () => this.side.deliver(hello));
  }

  /** Takes the router's message if it is about the sign-in or the end (true); any other is the door's (false). */
  took(message: WampMessage): boolean {
    switch (message.type) {
      case MessageType.CHALLENGE: {
        const answer = this.joining.answer(message.authMethod);
        this.side.deliver(answer);
        if (answer.type === MessageType.ABORT) this.leave();
        return true;
      }
      case MessageType.WELCOME:
        this.joining.welcomed(message);
        return true;
      case MessageType.ABORT:
        this.end(this.joining.aborted(message), { uri: message.reason, text: abortText(message) });
        return true;
      case MessageType.GOODBYE:
        // end() first, so that the door learns the router's reason, not the close that follows the answer.
        this.end(message.reason);
        this.side.deliver(goodbyeAnswer());
        return true;
      default:
        return false;
    }
  }

  /** Peer.close: the router closed the session. */
  closed(): void {
    this.end('the router closed the session');
  }

  /** The door's client is gone: the session leaves the realm. */
  leave(): void {
    if (this.endedWith) return;
    this.endedWith = { uri: ErrorUri.closeNormal, text: this.terms.leaveText };
    this.side.failWaiting(ErrorUri.closeNormal, this.terms.leaveText);
    this.joining.refuse(ErrorUri.closeNormal, this.terms.leaveText);
    this.side.detach();
  }

  private end(reason: string, cause: { uri: string; text: string } = { uri: ErrorUri.systemShutdown, text: reason }): void {
    if (this.endedWith) return;
    this.endedWith = cause;
    this.side.failWaiting(ErrorUri.systemShutdown, reason);
    this.joining.refuse(ErrorUri.systemShutdown, reason);
    this.side.routerEnded(reason);
  }
}
