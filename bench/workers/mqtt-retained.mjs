import { connectClient } from '../clients/index.mjs';
import { Histogram } from '../lib/histogram.mjs';
import { now, sleep, withTimeout } from '../lib/clock.mjs';
import { childSettings, fail, onParent, tell } from '../lib/worker-ipc.mjs';

/**
 * Retained messages (workloads/mqtt.mjs, mqtt-retained): first a publisher leaves `topics`
 * retained messages of `payloadBytes` on `bench.retained.<i>` (QoS 1, at most PUBLISH_WINDOW
 * unacknowledged: under both brokers' receive maximum of 100); then, one after another until the
 * window ends or `maxJoins`, a fresh subscriber connects, subscribes to `#` and waits for every one
 * of them. Each join records how long from SUBSCRIBE to its last retained message; each message
 * must arrive once, with the retain flag, carrying its topic's index. A join that does not get
 * them all within `joinTimeoutMs` counts the rest as lost and the run goes on with the next.
 * Messages on other topics (a broker's own, none expected) are counted apart, not as faults.
 */

const settings = childSettings();
const padding = 'x'.repeat(settings.payloadBytes);
const PUBLISH_WINDOW = 50;
const TOPIC_PREFIX = 'bench/retained/';

async function leaveRetained(publisher) {
  let next = 0;
  async function lane() {
    while (next < settings.topics) {
      const index = next++;
      await publisher.publish(`bench.retained.${index}`, [1, now(), padding, index], { retain: true });
    }
  }
  await Promise.all(Array.from({ length: PUBLISH_WINDOW }, lane));
}

/** One subscriber joining: resolves to { micros (null unless all came), lost, duplicates, others }. */
async function join() {
  const seen = new Uint8Array(settings.topics);
  let count = 0;
  let duplicates = 0;
  let others = 0;
  let done;
  const all = new Promise((resolve) => {
    done = resolve;
  });
  const client = await connectClient(settings.target);
  const startedAt = now();
  let endedAt = null;
  await client.subscribe('#', (args, packet) => {
    if (!packet.topic.startsWith(TOPIC_PREFIX)) {
      others++;
      return;
    }
    const index = args[3];
    if (!packet.retain || index !== Number(packet.topic.slice(TOPIC_PREFIX.length)) || seen[index] === 1) {
      duplicates++;
      return;
    }
    seen[index] = 1;
    if (++count === settings.topics) {
      endedAt = now();
      done();
    }
  });
  await withTimeout(all, settings.joinTimeoutMs, 'every retained message').catch(() => {});
  client.close();
  await client.ended;
  return { micros: endedAt === null ? null : (endedAt - startedAt) * 1000, startedAt, lost: settings.topics - count, duplicates, others };
}

async function main() {
  const publisher = await connectClient(settings.target);
  await leaveRetained(publisher);
  publisher.close();
  const histogram = new Histogram();
  onParent('go', async (message) => {
    await sleep(Math.max(0, message.startAt - now()));
    let joins = 0;
    let delivered = 0;
    let lost = 0;
    let duplicates = 0;
    let others = 0;
    let firstError = null;
    while (now() < message.measureEnd && joins < settings.maxJoins) {
      try {
        const result = await join();
        lost += result.lost;
        duplicates += result.duplicates;
        others += result.others;
        if (result.startedAt < message.warmupEnd) continue;
        joins++;
        delivered += settings.topics - result.lost;
        if (result.micros !== null) histogram.record(result.micros);
      } catch (error) {
        firstError ??= error.message;
        break;
      }
    }
    tell({ type: 'result', joins, delivered, lost, duplicates, others, firstError, latency: histogram.toJSON() });
  });
  onParent('close', () => setTimeout(() => process.exit(0), 200));
  tell({ type: 'ready' });
}

main().catch(fail);
