import { createRequire } from 'node:module';
import { inspect } from 'node:util';
import autobahn from 'autobahn';

/**
 * What AutobahnJS would print to the console (a warning block for every closed connection, and
 * every exception a handler raises, the autobahn.Error a test throws on purpose included), kept
 * here instead of filling the test output: the last `autobahnConsoleLimit` entries, newest last.
 */
export const autobahnConsole: string[] = [];
const autobahnConsoleLimit = 200;

function captureAutobahn(...parts: unknown[]): void {
  autobahnConsole.push(parts.map((part) => (typeof part === 'string' ? part : inspect(part))).join(' '));
  if (autobahnConsole.length > autobahnConsoleLimit) autobahnConsole.shift();
}

// AutobahnJS's modules call log.warn through the module object, so replacing it there catches
// every warning; it is the same module instance the import above loaded.
(createRequire(import.meta.url)('autobahn/lib/log.js') as { warn: typeof captureAutobahn }).warn = captureAutobahn;

export type SerializerName = 'json' | 'msgpack' | 'cbor';

export function autobahnSerializer(name: SerializerName): unknown {
  switch (name) {
    case 'json': return new autobahn.serializer.JSONSerializer();
    case 'msgpack': return new autobahn.serializer.MsgpackSerializer();
    case 'cbor': return new autobahn.serializer.CBORSerializer();
  }
}

/** AutobahnJS's close details: reason is the WAMP close or abort URI. */
export interface CloseDetails {
  reason?: string;
  message?: string;
}

export interface OpenSession {
  // AutobahnJS's session object (untyped library).
  session: any;
  close(): Promise<void>;
  /** Resolves when the connection closes, with AutobahnJS's close details. */
  closed: Promise<CloseDetails>;
}

/**
 * Opens an AutobahnJS connection with these options and no retries. Resolves with the session
 * and the details AutobahnJS hands to onopen (WELCOME.Details); rejects with `refused(...)` if
 * the connection closes before it opens.
 */
export function openConnection(
  options: Record<string, unknown>,
  refused: (reason: string, details: CloseDetails | undefined) => Error,
): Promise<OpenSession & { details: unknown }> {
  const connection = new autobahn.Connection({
    max_retries: 0,
    // What AutobahnJS would print as "<message> <error>".
    on_user_error: (error: unknown, message: string) => captureAutobahn(message, error),
    ...options,
  });
  let markClosed!: (details: CloseDetails) => void;
  const closed = new Promise<CloseDetails>((resolve) => (markClosed = resolve));
  return new Promise((resolve, reject) => {
    let opened = false;
    let onClosed: (() => void) | undefined;
    connection.onopen = (session: unknown, details: unknown) => {
      opened = true;
      resolve({
        session,
        details,
        closed,
        close: () => new Promise<void>((done) => {
          onClosed = done;
          if (!connection.isOpen) done();
          else connection.close();
        }),
      });
    };
    connection.onclose = (reason: string, details: CloseDetails | undefined) => {
      if (!opened) reject(refused(reason, details));
      markClosed(details ?? {});
      onClosed?.();
      return true; // never retry
    };
    connection.open();
  });
}

/** Opens an AutobahnJS connection to realm1 (unless `extra` says otherwise) without retries; rejects with the close reason if it fails. */
export async function openAutobahn(url: string, serializer: SerializerName = 'json', extra: Record<string, unknown> = {}): Promise<OpenSession> {
  const { session, closed, close } = await openConnection(
    { url, realm: 'realm1', serializers: [autobahnSerializer(serializer)], ...extra },
    (reason, details) => new Error(`connection failed: ${reason} ${details?.reason ?? ''} ${details?.message ?? ''}`),
  );
  return { session, closed, close };
}
