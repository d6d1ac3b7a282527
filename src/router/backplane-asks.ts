/**
 * Questions one node asks another, answered once (a long-poll request relayed to the node that
 * holds its transport, for instance). Each question is bounded in time, and fails at once when
 * the node asked leaves or dies, or has no one answering on that channel.
 */

export type AskHandler = (body: unknown, from: string) => Promise<unknown>;

/** What crosses the mesh for a question and its answer. */
export type AskMessage =
  | { k: 'ask'; id: number; channel: string; body: unknown }
  | { k: 'answer'; id: number; body?: unknown; error?: string; unserved?: true };

/**
 * Why a question got no answer: `gone` (the node left or died), `timeout`, `unserved` (nothing
 * answers that channel there: a node still starting, or one restarted under the same name), or
 * `refused` (its handler failed).
 */
export class AskError extends Error {
  constructor(readonly reason: 'gone' | 'timeout' | 'unserved' | 'refused', message: string) {
    super(message);
  }
}

interface Pending {
  node: string;
  resolve(body: unknown): void;
  reject(error: AskError): void;
  timer: ReturnType<typeof setTimeout>;
}

export class NodeAsks {
  private lastId = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly handlers = new Map<string, AskHandler>();

  constructor(private readonly send: (node: string, message: AskMessage) => void) {}

  ask(node: string, channel: string, body: unknown, timeoutMs: number): Promise<unknown> {
    const id = ++this.lastId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new AskError('timeout', `router node "${node}" did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { node, resolve, reject, timer });
      this.send(node, { k: 'ask', id, channel, body });
    });
  }

  /** Answers what other nodes ask on `channel`; returns the way to stop. */
  serve(channel: string, handler: AskHandler): () => void {
    this.handlers.set(channel, handler);
    return () => {
      if (this.handlers.get(channel) === handler) this.handlers.delete(channel);
    };
  }

  receive(message: AskMessage, from: string): void {
    if (message.k === 'answer') {
      const pending = this.pending.get(message.id);
      if (!pending || pending.node !== from) return;
      this.settle(message.id, pending);
      if (message.error === undefined) pending.resolve(message.body);
      else pending.reject(new AskError(message.unserved ? 'unserved' : 'refused', message.error));
      return;
    }
    const handler = this.handlers.get(message.channel);
    if (!handler) {
      this.send(from, { k: 'answer', id: message.id, error: `nothing answers "${message.channel}" on the router node asked`, unserved: true });
      return;
    }
    handler(message.body, from).then(
      (body) => this.send(from, { k: 'answer', id: message.id, body }),
      (error: unknown) => this.send(from, { k: 'answer', id: message.id, error: (error as Error).message }),
    );
  }

  /** The node left or died: its questions fail now. */
  nodeGone(node: string): void {
    for (const [id, pending] of this.pending) {
      if (pending.node !== node) continue;
      this.settle(id, pending);
      pending.reject(new AskError('gone', `router node "${node}" left the cluster`));
    }
  }

  /** This node leaves: every question fails. */
  close(): void {
    for (const [id, pending] of this.pending) {
      this.settle(id, pending);
      pending.reject(new AskError('gone', 'this router node is leaving the cluster'));
    }
  }

  private settle(id: number, pending: Pending): void {
    clearTimeout(pending.timer);
    this.pending.delete(id);
  }
}
