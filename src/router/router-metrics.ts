import { MetricsRegistry, type Counter, type Gauge, type Histogram } from '../metrics/registry.js';

/** The router's own metrics, created once per router on the node's registry. */
export interface RouterMetrics {
  sessions: Gauge;
  sessionsJoined: Counter;
  sessionsRefusedStopping: Counter;
  protocolViolations: Counter;
  messagesReceived: Counter;
  published: Counter;
  eventsSent: Counter;
  calls: Counter;
  authorizationDenied: Counter;
  publicationsRefused: Counter;
  urisRefused: Counter;
  publishRateLimited: Counter;
  sessionLimitRefused: Counter;
  unencodable: Counter;
  callDuration: Histogram;
  queuedMessages: Gauge;
  queuedBytes: Gauge;
  queueOverflows: Counter;
  retainedBytes: Gauge;
  retainedTopics: Gauge;
  retainedRefused: Counter;
  retainedExpired: Counter;
  retainedReplays: Gauge;
  retainedReplayHeldBytes: Gauge;
  retainedReplayOverflows: Counter;
  retainedReplayWaiting: Gauge;
  historyBytes: Gauge;
  historyRefused: Counter;
  callQueueCalls: Gauge;
  callQueueBytes: Gauge;
  callQueueEvents: Counter;
  clusterQuestionsRefused: Counter;
  deadTestamentsDropped: Counter;
  statsReports: Counter;
}

/** Upper bounds (seconds) of the call duration histogram's buckets: 1 ms to 1 min. */
export const callDurationBuckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export function createRouterMetrics(registry: MetricsRegistry): RouterMetrics {
  return {
    sessions: registry.gauge('junction_sessions', 'Sessions joined to a realm now, by realm and origin (client: over a transport; internal: the node\'s own, such as the meta API and the HTTP bridge)'),
    sessionsJoined: registry.counter('junction_sessions_joined_total', 'Sessions that reached WELCOME, by realm and origin'),
    sessionsRefusedStopping: registry.counter('junction_sessions_refused_stopping_total', 'Client sessions refused (ABORT wamp.close.system_shutdown, or the door\'s refusal) because the node is stopping, by transport type'),
    protocolViolations: registry.counter('junction_protocol_violations_total', 'Sessions aborted for a protocol violation'),
    messagesReceived: registry.counter('junction_messages_received_total', 'WAMP messages received from joined sessions, by origin (client or internal)'),
    published: registry.counter('junction_publications_total', 'PUBLISH messages accepted, by realm and origin of the publisher'),
    eventsSent: registry.counter('junction_events_sent_total', 'EVENT messages handed to subscribers, by realm and origin of the publisher'),
    calls: registry.counter('junction_calls_total', 'CALL messages routed to a callee, by realm and origin of the caller'),
    authorizationDenied: registry.counter('junction_authorization_denied_total', 'Actions refused by authorization, by action'),
    publicationsRefused: registry.counter('junction_publications_refused_total', 'PUBLISH messages refused (not authorized, a bad URI or option), by realm and error URI'),
    urisRefused: registry.counter('junction_uris_refused_total',
      'PUBLISH, SUBSCRIBE, REGISTER and CALL messages and HELLO realms refused with wamp.error.invalid_uri, by realm (empty for HELLO), message and reason (too_long, malformed, reserved)'),
    publishRateLimited: registry.counter('junction_publish_rate_limited_total', "PUBLISH messages refused or dropped over a session's publish rate, by realm"),
    sessionLimitRefused: registry.counter('junction_session_limit_refused_total',
      'SUBSCRIBE, REGISTER and CALL messages refused with junction.error.limit_exceeded over a per-session limit, by realm and limit (its config key)'),
    unencodable: registry.counter('junction_messages_unencodable_total', "Messages a session's serializer could not encode (not sent; see docs/payloads.md), by message type and serializer"),
    callDuration: registry.histogram('junction_call_duration_seconds', 'Time from a routed CALL to its final RESULT or ERROR, by realm', callDurationBuckets),
    queuedMessages: registry.gauge('junction_session_queued_messages', 'Received messages waiting behind an unfinished step (authentication, a dynamic authorizer), all sessions'),
    queuedBytes: registry.gauge('junction_session_queued_bytes', 'Bytes (as received) of the messages waiting behind an unfinished step, all sessions'),
    queueOverflows: registry.counter('junction_session_queue_overflows_total', "Sessions whose incoming queue passed a limit, by outcome (paused: reading stopped; aborted: the transport cannot pause)"),
    retainedBytes: registry.gauge('junction_retained_bytes', 'Bytes (estimated) of retained events kept, by realm'),
    retainedTopics: registry.gauge('junction_retained_topics', 'Topics with a retained event, by realm'),
    retainedRefused: registry.counter('junction_retained_refused_total',
      "Publications with retain over a retention limit, by realm and limit: one made on this node is refused (neither delivered nor retained); one from another node is delivered here but this node's copy is not kept"),
    retainedExpired: registry.counter('junction_retained_expired_total',
      'Retained events removed because their MQTT Message Expiry ran out (_mqtt.expires_at), by realm'),
    retainedReplays: registry.gauge('junction_retained_replays',
      "Sessions whose get_retained events are still being sent at their connection's pace (live events of those subscriptions held behind them), by realm"),
    retainedReplayHeldBytes: registry.gauge('junction_retained_replay_held_bytes',
      'Bytes (payload, estimated) of live events held behind retained ones still being sent, all sessions of the realm (each at most max_held_live_bytes_per_session), by realm'),
    retainedReplayOverflows: registry.counter('junction_retained_replay_overflows_total',
      "Replays whose held live events passed max_held_live_bytes_per_session, or whose session's waiting retained events passed max_waiting_retained_per_session: everything waiting went to the connection at once, by realm"),
    retainedReplayWaiting: registry.gauge('junction_retained_replay_waiting',
      'Retained events waiting to be sent at their connection\'s pace, all sessions of the realm (each at most max_waiting_retained_per_session), by realm'),
    historyBytes: registry.gauge('junction_event_history_bytes', 'Bytes (estimated) of events kept for wamp.subscription.get_events, by realm'),
    historyRefused: registry.counter('junction_event_history_refused_total', 'Events not kept in the event history because one alone is larger than its limit_bytes, by realm'),
    callQueueCalls: registry.gauge('junction_call_queue_calls', 'Calls waiting in a call queue (store call-queue) for a callee under its concurrency limit, by realm'),
    callQueueBytes: registry.gauge('junction_call_queue_bytes', 'Bytes (estimated from procedure and payload) of the calls waiting in call queues, by realm'),
    callQueueEvents: registry.counter('junction_call_queue_total',
      'Calls entering or leaving a call queue, by realm and event (queued, drained, refused_full, expired, canceled, caller_left, unregistered)'),
    clusterQuestionsRefused: registry.counter('junction_cluster_questions_refused_total',
      'Meta API calls refused because too many questions to the other cluster nodes were waiting for answers, by realm'),
    deadTestamentsDropped: registry.counter('junction_cluster_testaments_dropped_total',
      'Sessions of dead cluster nodes whose testaments this node gave up unpublished: no node said it published them within the keep time'),
    statsReports: registry.counter('junction_session_stats_reports_total',
      'wamp.session.on_stats reports published, by realm and trigger (join, leave, rated_messages, duration)'),
  };
}
