import autobahn from 'autobahn';

export type SerializerName = 'json' | 'msgpack' | 'cbor';

export function autobahnSerializer(name: SerializerName): unknown {
  switch (name) {
    case 'json': return new autobahn.serializer.JSONSerializer();
    case 'msgpack': return new autobahn.serializer.MsgpackSerializer();
    case 'cbor': return new autobahn.serializer.CBORSerializer();
  }
}

export interface OpenSession {
  // AutobahnJS's session object (untyped library).
  session: any;
  close(): Promise<void>;
  /** Resolves when the connection closes, with AutobahnJS's close details (reason is the WAMP close URI). */
  closed: Promise<{ reason?: string; message?: string }>;
}

/** Opens an AutobahnJS connection without retries; rejects with the close reason if it fails. */
export function openAutobahn(url: string, serializer: SerializerName = 'json', extra: Record<string, unknown> = {}): Promise<OpenSession> {
  const connection = new autobahn.Connection({
    url, realm: 'realm1', serializers: [autobahnSerializer(serializer)], max_retries: 0, ...extra,
  });
  let markClosed!: (details: { reason?: string; message?: string }) => void;
  const closed = new Promise<{ reason?: string; message?: string }>((resolve) => (markClosed = resolve));
  return new Promise((resolve, reject) => {
    let opened = false;
    let onClosed: (() => void) | undefined;
    connection.onopen = (session: unknown) => {
      opened = true;
      resolve({
        session,
        closed,
        close: () => new Promise<void>((done) => {
          onClosed = done;
          if (!connection.isOpen) done();
          else connection.close();
        }),
      });
    };
    connection.onclose = (reason: string, details: { reason?: string; message?: string }) => {
      if (!opened) reject(new Error(`connection failed: ${reason} ${details?.reason ?? ''} ${details?.message ?? ''}`));
      markClosed(details ?? {});
      onClosed?.();
      return true; // never retry
    };
    connection.open();
  });
}
