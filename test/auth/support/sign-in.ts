import { autobahnSerializer, openConnection, type CloseDetails, type SerializerName } from '../../support/autobahn.js';

export interface SignInOptions {
  authmethods: string[];
  authid?: string;
  authextra?: Record<string, unknown>;
  onchallenge?: (session: unknown, method: string, extra: Record<string, unknown>) => unknown;
  serializer?: SerializerName;
  realm?: string;
  /** Headers of the WebSocket upgrade (AutobahnJS passes them to ws in Node): Cookie, Origin... */
  headers?: Record<string, string>;
}

export interface SignedIn {
  // AutobahnJS's session object (untyped library).
  session: any;
  /** WELCOME.Details as AutobahnJS hands them to onopen. */
  details: { authid: string; authrole: string; authmethod: string; authprovider: string; authextra?: Record<string, unknown>; realm: string };
  close(): Promise<void>;
  /** Resolves when the connection closes, with AutobahnJS's close details. */
  closed: Promise<CloseDetails>;
}

/** The router's refusal: ABORT's reason URI and Details.message. */
export class Refused extends Error {
  constructor(readonly reason: string | undefined, readonly abortMessage: string | undefined) {
    super(`refused: ${reason} ${abortMessage}`);
  }
}

/** Signs in with AutobahnJS (no retries); rejects with Refused when the router aborts. */
export async function signIn(url: string, options: SignInOptions): Promise<SignedIn> {
  const serializers = [autobahnSerializer(options.serializer ?? 'json')];
  const { session, details, close, closed } = await openConnection(
    {
      url,
      realm: options.realm ?? 'realm1',
      serializers,
      authmethods: options.authmethods,
      authid: options.authid,
      authextra: options.authextra,
      onchallenge: options.onchallenge,
      // Headers are an option of AutobahnJS's transport, not of the connection.
      ...(options.headers ? { transports: [{ type: 'websocket', url, serializers, headers: options.headers }] } : {}),
    },
    (_reason, details) => new Refused(details?.reason, details?.message),
  );
  return { session, details: details as SignedIn['details'], close, closed };
}

/** Expects the sign-in to be refused; resolves with the refusal. */
export async function refusal(attempt: Promise<SignedIn>): Promise<Refused> {
  try {
    const signedIn = await attempt;
    await signedIn.close();
  } catch (error) {
    if (error instanceof Refused) return error;
    throw error;
  }
  throw new Error('the sign-in was expected to be refused but succeeded');
}
