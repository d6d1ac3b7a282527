import { MetricsRegistry, type Counter, type Gauge } from '../metrics/registry.js';

/** The router's own metrics, created once per router on the node's registry. */
export interface RouterMetrics {
  sessions: Gauge;
  sessionsJoined: Counter;
  protocolViolations: Counter;
  messagesReceived: Counter;
  published: Counter;
  eventsSent: Counter;
  calls: Counter;
  authorizationDenied: Counter;
  publishRateLimited: Counter;
  unencodable: Counter;
}

export function createRouterMetrics(registry: MetricsRegistry): RouterMetrics {
  return {
    sessions: registry.gauge('junction_sessions', 'Sessions currently established, by realm'),
    sessionsJoined: registry.counter('junction_sessions_joined_total', 'Sessions that reached WELCOME, by realm'),
    protocolViolations: registry.counter('junction_protocol_violations_total', 'Sessions aborted for a protocol violation'),
    messagesReceived: registry.counter('junction_messages_received_total', 'WAMP messages received from clients'),
    published: registry.counter('junction_publications_total', 'PUBLISH messages accepted, by realm'),
    eventsSent: registry.counter('junction_events_sent_total', 'EVENT messages handed to subscribers, by realm'),
    calls: registry.counter('junction_calls_total', 'CALL messages routed to a callee, by realm'),
    authorizationDenied: registry.counter('junction_authorization_denied_total', 'Actions refused by authorization, by action'),
    publishRateLimited: registry.counter('junction_publish_rate_limited_total', "PUBLISH messages refused or dropped over a session's publish rate, by realm"),
    unencodable: registry.counter('junction_messages_unencodable_total', "Messages a session's serializer could not encode (not sent; see docs/payloads.md), by message type and serializer"),
  };
}
