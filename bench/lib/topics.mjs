/**
 * How the fan-out workloads spread publications and subscriptions over `topics` topics (1 for
 * the plain fan-out). Publication n (1-based, in publish order) goes to topic (n - 1) % topics
 * with that topic's own sequence number; session s subscribes to `perSession` topics spaced
 * evenly, so with sessions x perSession = topics x k every topic has k subscribers.
 */

export function topicName(base, topics, index) {
  return topics === 1 ? base : `${base}.${index}`;
}

/** Topic index and that topic's sequence number (1-based) of publication n. */
export function placeOf(n, topics) {
  return { topic: (n - 1) % topics, seq: Math.floor((n - 1) / topics) + 1 };
}

/** How many of the first `published` publications went to topic `index`. */
export function publishedOn(index, published, topics) {
  return published > index ? Math.floor((published - 1 - index) / topics) + 1 : 0;
}

/**
 * The last publication number (in publish order) a subscription to topic `index` has accounted
 * for once it has that topic's events up to `seq`: every earlier publication on its topic, and
 * none later than the next one. The minimum over all subscriptions is the delivery barrier.
 */
export function coveredUpTo(index, seq, topics) {
  return seq * topics + index;
}

/** The topic indexes session `session` subscribes to. */
export function topicsOfSession(session, perSession, topics) {
  const stride = Math.max(1, Math.floor(topics / perSession));
  return Array.from({ length: perSession }, (_, k) => (session + k * stride) % topics);
}
