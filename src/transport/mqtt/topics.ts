/**
 * MQTT topics <-> WAMP URIs, as Crossbar's MQTT bridge maps them: levels become URI components
 * ("a/b/c" is "a.b.c"), a "+" level is an empty component of a wildcard subscription ("a/+/c" is
 * wildcard "a..c"), and a trailing "#" is a prefix subscription ("a/#" is prefix "a.", "#" alone
 * is prefix ""). What cannot be written as a WAMP URI is refused with the reason; the realm's
 * own URI rule (strict or loose) is then applied by the router, as for every session.
 */

import type { MetricsRegistry } from '../../metrics/registry.js';
import { maxUriLength, quoted, type MatchPolicy } from '../../protocol/uri.js';
import { isRouterUri } from '../../router/meta/views.js';

export interface WampTopic {
  uri: string;
  match: MatchPolicy;
}

/** Why a topic or filter cannot map: its text goes back to the client (MQTT 5 reason string) and to the log. */
export class TopicRefusal extends Error {}

/** A level that would change meaning as a URI component. */
function levelProblem(level: string): string | undefined {
  if (level.includes('.')) return 'a topic level containing "." cannot be a WAMP URI component ("." separates components)';
  if (/\s/.test(level)) return 'a topic level containing whitespace cannot be a WAMP URI component';
  return undefined;
}

/** A topic longer than the router's longest URI cannot map: refused before it is split or kept (an MQTT 5 topic alias). */
export function checkTopicLength(topic: string): void {
  if (topic.length > maxUriLength) throw new TopicRefusal(`${quoted(topic)}: a topic longer than ${maxUriLength} characters cannot map to a WAMP URI`);
}

function checkLevels(topic: string, levels: string[]): void {
  if (topic.startsWith('$')) throw new TopicRefusal(`${quoted(topic)}: topics starting with "$" are reserved for the server and not served here`);
  for (const level of levels) {
    const problem = levelProblem(level);
    if (problem) throw new TopicRefusal(`${quoted(topic)}: ${problem}`);
  }
}

/**
 * Topic names lately mapped to URIs: a device publishes to the same few topics again and again,
 * and the checks, split and join were 2% of the router's time with 50 publishers (bench/RESULTS.md).
 * Only names that map (a refusal is checked again each time), short ones, and at most this many:
 * the table is emptied when full.
 */
const urisByTopicName = new Map<string, string>();
const REMEMBERED_TOPIC_NAMES = 1_000;
const REMEMBERED_TOPIC_LENGTH = 256;
let topicNameCacheClears = 0;

const meteredRegistries = new WeakSet<MetricsRegistry>();

/**
 * Shows the topic-name table (process-wide) in `metrics`, read at scrape time; once per registry,
 * whatever the number of MQTT transports. Called by the MQTT door, so that a node without one
 * does not load it for its metrics.
 */
export function meterTopicNames(metrics: MetricsRegistry): void {
  if (meteredRegistries.has(metrics)) return;
  meteredRegistries.add(metrics);
  const entries = metrics.gauge('junction_mqtt_topic_names_cached', 'MQTT topic names remembered with their WAMP URIs, all MQTT transports of the process');
  const clears = metrics.counter('junction_mqtt_topic_name_cache_clears_total', 'Times the MQTT topic-name table was emptied because it was full');
  metrics.collect(() => {
    entries.set(urisByTopicName.size);
    clears.setTotal(topicNameCacheClears);
  });
}

/** The topic name of a PUBLISH (no wildcards) as a WAMP URI. */
export function topicNameToUri(topic: string): string {
  const known = urisByTopicName.get(topic);
  if (known !== undefined) return known;
  const uri = mapTopicName(topic);
  if (topic.length <= REMEMBERED_TOPIC_LENGTH) {
    if (urisByTopicName.size >= REMEMBERED_TOPIC_NAMES) {
      urisByTopicName.clear();
      topicNameCacheClears++;
    }
    urisByTopicName.set(topic, uri);
  }
  return uri;
}

/**
 * What MQTT itself forbids in a PUBLISH's topic name (MQTT-3.3.2-2: no wildcards; MQTT-4.7.3-1: not
 * empty), as opposed to what cannot map to WAMP: a client that sends it breaks the protocol, and
 * its connection is closed (as mosquitto does). Undefined for a topic name.
 */
export function topicNameViolation(topic: string): string | undefined {
  if (topic.length === 0) return 'an empty topic name (a PUBLISH without a topic alias must name its topic, MQTT-4.7.3-1)';
  if (topic.includes('+') || topic.includes('#')) return `${quoted(topic)}: a topic name must not contain the wildcards "+" or "#" (MQTT-3.3.2-2)`;
  return undefined;
}

/**
 * What MQTT itself forbids in a topic filter (MQTT-4.7.3-1: not empty; MQTT-4.7.1-1, 4.7.1-2: a
 * wildcard fills its level, "#" only last): a SUBSCRIBE or UNSUBSCRIBE with one is malformed and its
 * connection closed (as mosquitto does). Undefined for a filter.
 */
export function topicFilterViolation(filter: string): string | undefined {
  if (filter.length === 0) return 'an empty topic filter (MQTT-4.7.3-1)';
  const levels = filter.split('/');
  if (levels.some((level) => level.includes('+') && level !== '+')) return `${quoted(filter)}: "+" must stand alone in its level (MQTT-4.7.1-2)`;
  const hash = levels.findIndex((level) => level.includes('#'));
  if (hash !== -1 && (levels[hash] !== '#' || hash !== levels.length - 1)) return `${quoted(filter)}: "#" must be the last level, alone (MQTT-4.7.1-1)`;
  return undefined;
}

function mapTopicName(topic: string): string {
  checkTopicLength(topic);
  const violation = topicNameViolation(topic);
  if (violation !== undefined) throw new TopicRefusal(violation);
  const levels = topic.split('/');
  checkLevels(topic, levels);
  if (levels.some((level) => level === '')) throw new TopicRefusal(`${quoted(topic)}: an empty topic level cannot map to a WAMP URI component`);
  return levels.join('.');
}

/** The topic filter of a SUBSCRIBE as a WAMP subscription. */
export function topicFilterToSubscription(filter: string): WampTopic {
  checkTopicLength(filter);
  const violation = topicFilterViolation(filter);
  if (violation !== undefined) throw new TopicRefusal(violation);
  const levels = filter.split('/');
  checkLevels(filter, levels);
  const plus = levels.filter((level) => level === '+');
  const hash = levels.filter((level) => level === '#');
  if (plus.length > 0 && hash.length > 0) {
    throw new TopicRefusal(`${quoted(filter)}: "+" and "#" together cannot map to WAMP (a subscription is either wildcard or prefix)`);
  }
  if (hash.length === 1) return { uri: levels.slice(0, -1).map((level) => `${level}.`).join(''), match: 'prefix' };
  if (plus.length > 0) return { uri: levels.map((level) => (level === '+' ? '' : level)).join('.'), match: 'wildcard' };
  if (levels.some((level) => level === '')) throw new TopicRefusal(`${quoted(filter)}: an empty topic level cannot map to a WAMP URI component`);
  return { uri: levels.join('.'), match: 'exact' };
}

/**
 * Whether a filter's first level is a wildcard ("#", "+/..."). MQTT (4.7.2) keeps topics starting
 * with "$" from such filters: they are the server's. The router's own topics ("wamp.*": the meta
 * events) are the server's here, so such filters do not get them either: "#" carries the application's
 * messages, and a device that wants the meta events names them ("wamp/#", "wamp/session/on_join").
 */
export function startsWithWildcard(filter: string): boolean {
  return filter.startsWith('#') || filter.startsWith('+');
}

/** A topic that a filter starting with a wildcard does not match: the server's ("$...") or the router's own ("wamp..."). */
export function isServerTopic(uri: string): boolean {
  return uri.startsWith('$') || isRouterUri(uri);
}

/** The last topic mapped: a fan-out maps one event's topic once per subscriber, the same each time. */
let lastUri = '';
let lastTopicName = '';

/** A WAMP topic as the MQTT topic an event is delivered on. */
export function uriToTopicName(uri: string): string {
  if (uri !== lastUri) {
    lastTopicName = uri.replaceAll('.', '/');
    lastUri = uri;
  }
  return lastTopicName;
}
