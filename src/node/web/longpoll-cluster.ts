import type { Backplane } from '../../router/backplane.js';
import type { LongPollServer } from '../../transport/longpoll/server.js';
import type { LongPollCluster, RelayedAnswer, RelayedRequest } from '../../transport/longpoll/relay.js';

/** Backplane channels: a relayed request, and a relayed receive whose client gave up. */
const REQUEST_CHANNEL = 'longpoll';
const ABANDON_CHANNEL = 'longpoll-abandon';

/**
 * One node's long-poll servers as the other nodes reach them: a request relayed here is run by
 * the server of its path that holds the transport (a reload may leave an old server holding some).
 */
class LongPollHub {
  private readonly servers = new Set<{ path: string; server: LongPollServer }>();

  constructor(backplane: Backplane) {
    backplane.serve(REQUEST_CHANNEL, async (body, from) => {
      const request = body as RelayedRequest;
      for (const { path, server } of this.servers) {
        if (path !== request.path) continue;
        const answered = server.answerRelayed(request, from);
        if (answered) return answered;
      }
      return { status: 404, contentType: 'application/json; charset=utf-8', body: Buffer.from(JSON.stringify({
        error: 'no_such_transport', message: 'no such long-poll transport (it was closed, timed out, or never existed): open a new one',
      })) } satisfies RelayedAnswer;
    });
    backplane.serve(ABANDON_CHANNEL, async (body, from) => {
      const { poll } = body as { poll: number };
      for (const { server } of this.servers) server.abandonRelayed(from, poll);
      return undefined;
    });
  }

  /** Adds a server; returns the way to remove it. */
  add(path: string, server: LongPollServer): () => void {
    const entry = { path, server };
    this.servers.add(entry);
    return () => void this.servers.delete(entry);
  }
}

const hubs = new WeakMap<Backplane, LongPollHub>();

/** What a long-poll server of this node needs to relay requests to the node holding their transport. */
export function longPollCluster(backplane: Backplane): LongPollCluster & { join(path: string, server: LongPollServer): () => void } {
  let hub = hubs.get(backplane);
  if (!hub) hubs.set(backplane, (hub = new LongPollHub(backplane)));
  const joined = hub;
  return {
    nodeId: backplane.nodeId,
    relay: async (node, request, timeoutMs) => (await backplane.ask(node, REQUEST_CHANNEL, request, timeoutMs)) as RelayedAnswer,
    abandon: (node, poll) => void backplane.ask(node, ABANDON_CHANNEL, { poll }, 5_000).catch(() => {}),
    join: (path, server) => joined.add(path, server),
  };
}
