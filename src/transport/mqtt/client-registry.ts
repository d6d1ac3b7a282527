import type { Gauge, MetricsRegistry } from '../../metrics/registry.js';
import type { ClientSession } from './client-session.js';

/**
 * The MQTT client sessions of one realm by client id, shared by every MQTT door onto that realm
 * (an mqtt transport, a universal port, a WebSocket path): MQTT client ids are unique per realm,
 * so a CONNECT through one door takes over or resumes a session made through another.
 */
export class ClientRegistry {
  private readonly sessions = new Map<string, ClientSession>();
  private readonly gauge: Gauge;

  constructor(private readonly realm: string, metrics: MetricsRegistry) {
    this.gauge = metrics.gauge('junction_mqtt_sessions', 'MQTT client sessions kept (connected, or persistent and offline), by realm');
  }

  get size(): number {
    return this.sessions.size;
  }

  get(clientId: string): ClientSession | undefined {
    return this.sessions.get(clientId);
  }

  add(session: ClientSession): void {
    this.sessions.set(session.clientId, session);
    this.gauge.set(this.sessions.size, { realm: this.realm });
  }

  /** Forgets `session` if it is still the one kept under its client id. */
  remove(session: ClientSession): void {
    if (this.sessions.get(session.clientId) === session) this.sessions.delete(session.clientId);
    this.gauge.set(this.sessions.size, { realm: this.realm });
  }

  values(): ClientSession[] {
    return [...this.sessions.values()];
  }
}

/** One registry per router and realm (a node runs one router; tests may run several). */
const registries = new WeakMap<object, Map<string, ClientRegistry>>();

export function clientRegistry(router: object, realm: string, metrics: MetricsRegistry): ClientRegistry {
  let byRealm = registries.get(router);
  if (!byRealm) registries.set(router, (byRealm = new Map()));
  let registry = byRealm.get(realm);
  if (!registry) byRealm.set(realm, (registry = new ClientRegistry(realm, metrics)));
  return registry;
}
