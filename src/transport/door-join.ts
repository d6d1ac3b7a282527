import { MessageType } from '../protocol/codes.js';
import { ErrorUri } from '../protocol/errors.js';
import { abortText } from '../protocol/message-text.js';
import type { Abort, Authenticate, Welcome } from '../protocol/messages.js';

/**
 * The sign-in of a session that a door opens in the router for a client that speaks no WAMP (an
 * MQTT client, an SSE stream): after its HELLO, a ticket CHALLENGE is answered with the ticket the
 * client gave, any other is refused (the client has nothing else to answer with), and WELCOME or
 * ABORT settles the join. At most one join is under way at a time.
 */
export class DoorJoin<Identity> {
  private joining: { resolve(identity: Identity): void; reject(error: Error): void; ticket: string | undefined } | undefined;

  constructor(
    /** How the refusal of a CHALLENGE names the door: "the router asked for ... which MQTT cannot answer". */
    private readonly door: string,
    private readonly identityOf: (welcome: Welcome) => Identity,
    private readonly refusal: (uri: string, text: string) => Error,
  ) {}

  /** Runs `hello` (which sends HELLO); resolves at WELCOME, rejects at ABORT, at a CHALLENGE it cannot answer, or at `refuse`. */
  start(ticket: string | undefined, hello: () => void): Promise<Identity> {
    return new Promise<Identity>((resolve, reject) => {
      this.joining = { resolve, reject, ticket };
      hello();
    });
  }

  /** What answers a CHALLENGE: AUTHENTICATE with the ticket, else ABORT (the join failed: the session leaves). */
  answer(authMethod: string): Authenticate | Abort {
    const ticket = this.joining?.ticket;
    if (authMethod === 'ticket' && ticket !== undefined) return { type: MessageType.AUTHENTICATE, signature: ticket, extra: {} };
    this.refuse(ErrorUri.noAuthMethod, `the router asked for "${authMethod}" authentication, which ${this.door} cannot answer`);
    return { type: MessageType.ABORT, details: { message: `cannot answer a "${authMethod}" challenge` }, reason: ErrorUri.noAuthMethod };
  }

  welcomed(welcome: Welcome): void {
    const joining = this.joining;
    this.joining = undefined;
    joining?.resolve(this.identityOf(welcome));
  }

  /** The router's ABORT fails the join (if one is under way); the session ends for the reason it returns. */
  aborted(abort: Abort): string {
    const text = abortText(abort);
    this.refuse(abort.reason, text);
    return `${abort.reason}: ${text}`;
  }

  /** The join fails with `uri` and `text` (ABORT, or the session ended first); nothing when no join is under way. */
  refuse(uri: string, text: string): void {
    const joining = this.joining;
    this.joining = undefined;
    joining?.reject(this.refusal(uri, text));
  }
}
