import { ErrorUri } from '../../../protocol/errors.js';
import type { Args, Dict } from '../../../protocol/messages.js';
import type { Backplane } from '../../../router/backplane.js';
import { InternalCallError } from '../../../router/internal-session.js';
import type { ForwarderMetaHandlers, ForwarderMetaKind } from './meta.js';

/**
 * A forwarder's meta procedures in a cluster: every node registers them (its own node's, so a
 * call from any node finds them), and a node that does not hold the forwarder's lease asks the
 * node that does, over the backplane, where its outbox is.
 */

const CHANNEL = 'forwarder-meta';
/** A meta call relayed to the lease holder fails with wamp.error.unavailable past this. */
const RELAY_TIMEOUT_MS = 10_000;

interface Question {
  id: string;
  kind: ForwarderMetaKind;
  args: Args;
  kwargs: Dict;
}

type Answer = { result: unknown } | { error: { uri: string; args: Args } };

/** Per backplane: each forwarder's handlers while this node holds its lease. */
const holders = new WeakMap<Backplane, Map<string, () => ForwarderMetaHandlers | undefined>>();

/** This node answers the meta calls other nodes relay for forwarder `id` with what `current` gives (undefined: not the holder). Returns the way to stop. */
export function answerMetaCalls(backplane: Backplane, id: string, current: () => ForwarderMetaHandlers | undefined): () => void {
  let forwarders = holders.get(backplane);
  if (!forwarders) {
    const table = (forwarders = new Map());
    holders.set(backplane, table);
    backplane.serve(CHANNEL, async (body) => {
      const question = body as Question;
      const handlers = table.get(question.id)?.();
      if (!handlers) return unavailable(`this router node does not hold forwarder "${question.id}"'s lease any more; try again`);
      try {
        return { result: await handlers[question.kind](question.args, question.kwargs) } satisfies Answer;
      } catch (error) {
        if (error instanceof InternalCallError) return { error: { uri: error.uri, args: error.args } } satisfies Answer;
        throw error;
      }
    });
  }
  forwarders.set(id, current);
  return () => void forwarders.delete(id);
}

/** Runs a meta call of forwarder `id` on the node holding its lease (`holder`). */
export async function relayMetaCall(backplane: Backplane, holder: string | undefined, question: Question): Promise<unknown> {
  if (holder === undefined || holder === backplane.nodeId) {
    throw new InternalCallError(ErrorUri.unavailable, [`no router node holds forwarder "${question.id}"'s lease right now; try again in a few seconds`]);
  }
  let answer: Answer;
  try {
    answer = (await backplane.ask(holder, CHANNEL, question, RELAY_TIMEOUT_MS)) as Answer;
  } catch (error) {
    throw new InternalCallError(ErrorUri.unavailable, [`router node "${holder}", which holds forwarder "${question.id}"'s lease, did not answer: ${(error as Error).message}`]);
  }
  if ('error' in answer) throw new InternalCallError(answer.error.uri, answer.error.args);
  return answer.result;
}

function unavailable(message: string): Answer {
  return { error: { uri: ErrorUri.unavailable, args: [message] } };
}
