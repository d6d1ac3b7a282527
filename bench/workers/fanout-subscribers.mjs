import { connectMany } from '../clients/index.mjs';
import { Histogram } from '../lib/histogram.mjs';
import { now } from '../lib/clock.mjs';
import { SequenceCheck } from '../lib/sequence-check.mjs';
import { coveredUpTo, publishedOn, topicName, topicsOfSession } from '../lib/topics.mjs';
import { childSettings, fail, onParent, tell } from '../lib/worker-ipc.mjs';

/**
 * Holds `count` subscriber sessions (numbered from `firstSession`), each subscribed to `perSession`
 * of `topics` topics (lib/topics.mjs; one topic for the plain fan-out). Events arriving inside the
 * measurement window are counted and their publish-to-delivery latency recorded (with `byDueTime`,
 * for an open-loop publisher: the latency of events due inside the window). Every few
 * milliseconds it reports the delivery barrier: the last publication every subscription here has
 * accounted for. Each subscription checks its topic's sequence numbers (lib/sequence-check.mjs):
 * events missing, duplicated or out of order.
 * Event args: [topic sequence number, publish timestamp, padding, topic index].
 * With a 'wamp-lean' target (bench --lean-subscribers) the sessions are lean subscribers
 * (clients/lean-subscriber.mjs): they hand over the sequence number of each subscription's events
 * and when the read holding it was taken, and no latency is recorded.
 */

const settings = childSettings();
const topics = settings.topics ?? 1;
const perSession = settings.perSession ?? 1;
const PROGRESS_INTERVAL_MS = 2;

const histogram = new Histogram();
let windowStart = Infinity;
let windowEnd = -Infinity;
let delivered = 0; // inside the window
let strays = 0; // events for a topic their session did not subscribe to
const subscriptions = [];

function makeSession(session) {
  const byTopic = new Map();
  for (const index of topicsOfSession(session, perSession, topics)) {
    const subscription = { index, check: new SequenceCheck() };
    byTopic.set(index, subscription);
    subscriptions.push(subscription);
  }
  // `due`: the publish timestamp, undefined from a lean subscriber (it records no latency).
  const onSequence = (seq, topicIndex, arrived, due) => {
    // An unknown topic index is an event this session never asked for: a fault like a duplicate.
    const subscription = byTopic.get(topicIndex);
    if (subscription) subscription.check.see(seq);
    else strays++;
    if (arrived >= windowStart && arrived < windowEnd) delivered++;
    if (due === undefined) return;
    // Open loop: every event due inside the window, however late it arrives (see the publisher).
    const timed = settings.byDueTime ? due : arrived;
    if (timed >= windowStart && timed < windowEnd) histogram.record((arrived - due) * 1000);
  };
  return { byTopic, onSequence };
}

/**
 * A lean subscriber reports (seq, arrived) per subscription: the subscription is the topic. Other
 * clients hand over the args, whose topic index is checked (an event of another topic is a fault).
 */
function subscribe(client, topic, index, onSequence) {
  if (client.readsSequences) return client.subscribe(topic, (seq, arrived) => onSequence(seq, index, arrived));
  return client.subscribe(topic, (args) => onSequence(args[0], args[3] ?? 0, now(), args[1]));
}

/** How many of `clients` each router node answered (WELCOME's x_junction_node), where known. */
function sessionsPerNode(clients) {
  const counts = {};
  for (const client of clients) {
    // A router that names no node is one process ('single', as a lean subscriber says).
    const node = client.node ?? (client.welcomeDetails && (client.welcomeDetails.x_junction_node ?? 'single'));
    if (node !== undefined) counts[node] = (counts[node] ?? 0) + 1;
  }
  return counts;
}

async function main() {
  const clients = await connectMany(settings.target, settings.count);
  const sessions = clients.map((_, i) => makeSession((settings.firstSession ?? 0) + i));
  await Promise.all(clients.map(async (client, i) => {
    for (const index of sessions[i].byTopic.keys()) await subscribe(client, topicName(settings.topic, topics, index), index, sessions[i].onSequence);
  }));

  let reported = 0;
  const progress = setInterval(() => {
    let lowest = Infinity;
    for (const { index, check } of subscriptions) {
      const covered = coveredUpTo(index, check.last, topics);
      if (covered < lowest) lowest = covered;
    }
    if (lowest > reported && lowest !== Infinity) {
      reported = lowest;
      tell({ type: 'progress', seq: lowest });
    }
  }, PROGRESS_INTERVAL_MS);

  onParent('go', (message) => {
    windowStart = message.warmupEnd;
    windowEnd = message.measureEnd;
  });
  onParent('report', (message) => {
    clearInterval(progress);
    let missing = 0;
    let reordered = 0;
    // Events for no subscription the session holds are faults too.
    let duplicates = strays + clients.reduce((sum, client) => sum + (client.unexpectedEvents ?? 0), 0);
    for (const { index, check } of subscriptions) {
      const faults = check.faults(publishedOn(index, message.published, topics));
      missing += faults.missing;
      reordered += faults.reordered;
      duplicates += faults.duplicates;
    }
    tell({ type: 'result', delivered, missing, reordered, duplicates, latency: histogram.toJSON(), sessionsPerNode: sessionsPerNode(clients) });
  });
  onParent('close', () => {
    for (const client of clients) client.close();
    setTimeout(() => process.exit(0), 200);
  });
  tell({ type: 'ready' });
}

main().catch(fail);
