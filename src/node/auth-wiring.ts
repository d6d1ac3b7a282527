import { dynamicAnonymous, staticAnonymous } from '../auth/anonymous.js';
import { dynamicCryptosign, staticCryptosign } from '../auth/cryptosign.js';
import { DynamicAuthenticator } from '../auth/dynamic.js';
import { DynamicAuthorizer } from '../auth/dynamic-authorizer.js';
import { authGate as gateOf } from '../auth/gate.js';
import type { AuthMethod, ConnectionMethod, SignInObserver } from '../auth/method.js';
import { ProxyBackend, proxyAuthmethod } from '../auth/proxy-backend.js';
import { RealmAuthorizer, type CacheDrops, type RoleAuthorizer } from '../auth/realm-authorizer.js';
import { dynamicScram, staticScram } from '../auth/scram.js';
import { ServiceSessions } from '../auth/service-sessions.js';
import { defaultDynamicCallTimeoutMs } from '../auth/sign-in-defaults.js';
import { PermissionTable } from '../auth/static-authorizer.js';
import { SignInTally } from '../auth/sign-in-tally.js';
import { SignInThrottle, type ThrottleOptions } from '../auth/throttle.js';
import { dynamicTicket, staticTicket } from '../auth/ticket.js';
import { dynamicTls, staticTls } from '../auth/tls.js';
import { dynamicWampCra, staticWampCra } from '../auth/wampcra.js';
import type { AuthConfig, DynamicAuthConfig, JunctionConfig, ProxyAuthenticators, RealmConfig, RoleConfig } from '../config/model.js';
import { mapValues } from '../config/normalize-auth.js';
import type { AuthGate } from '../router/hooks.js';
import { silentLogger, type Logger } from '../router/log.js';
import type { RealmSettings } from '../router/realm.js';
import type { Router } from '../router/router.js';

/** From configuration to the router's auth seams: each realm's authorizer, each transport's sign-in gate. */

/** Thrown at start-up for a configuration this build cannot run (the message says which part). */
export class UnsupportedConfigError extends Error {}

export interface NodeAuthOptions {
  log?: Logger;
  /** Failed sign-in budget per IP address (see src/auth/throttle.ts for the defaults). */
  throttle?: Partial<ThrottleOptions>;
  /** A dynamic authenticator or authorizer that does not answer within this time fails closed (default: src/auth/sign-in-defaults.ts). */
  dynamicCallTimeoutMs?: number;
  /** A CHALLENGE not answered within this time fails (default: src/auth/sign-in-defaults.ts; the transport's handshake timeout usually ends it first). */
  challengeTimeoutMs?: number;
}

/**
 * The auth side of one node. Realms' authorizers and transports' gates are built from the
 * config before the router exists; dynamic authenticators and authorizers call their procedures
 * through router sessions, which can join only once `attach(router)` has been called. Sign-in
 * failures are throttled per IP address across all transports of the node.
 *
 * startNode uses it as:
 *   const auth = new NodeAuth(config, { log });
 *   const router = new Router({ realms: config.realms.map((realm) => auth.realmSettings(realm)), ... });
 *   auth.attach(router);
 *   ... auth.gate(service.auth, where) for each WebSocket path ...
 *   on stop: await auth.close() before router.shutdown()
 */
export class NodeAuth {
  readonly throttle: SignInThrottle;
  readonly tally = new SignInTally();
  private readonly services: ServiceSessions;
  private readonly log: Logger;
  private readonly roles = new Map<string, Set<string>>();
  /** Each realm's authorizer as last built (a reload builds new ones): their caches are metered. */
  private readonly authorizers = new Map<string, RealmAuthorizer>();
  /** Decisions the roles' caches let go because they were full, all realms. */
  readonly authorizationDrops: CacheDrops = { count: 0 };

  constructor(config: Pick<JunctionConfig, 'realms'>, private readonly options: NodeAuthOptions = {}) {
    this.log = options.log ?? silentLogger;
    this.throttle = new SignInThrottle(options.throttle);
    this.services = new ServiceSessions(options.dynamicCallTimeoutMs ?? defaultDynamicCallTimeoutMs);
    this.setRealms(config.realms);
  }

  /** The realms and roles sign-ins are checked against (a config reload changes them). */
  setRealms(realms: readonly RealmConfig[]): void {
    this.roles.clear();
    for (const realm of realms) this.roles.set(realm.name, new Set(realm.roles.map((role) => role.name)));
    for (const name of this.authorizers.keys()) if (!this.roles.has(name)) this.authorizers.delete(name);
  }

  /** Each realm's current authorizer (its caches are metered). */
  realmAuthorizers(): ReadonlyMap<string, RealmAuthorizer> {
    return this.authorizers;
  }

  realmSettings(realm: RealmConfig): RealmSettings {
    const roles = new Map<string, RoleAuthorizer>(realm.roles.map((role) => [role.name, this.roleAuthorizer(realm, role)]));
    const authorizer = new RealmAuthorizer(roles);
    this.authorizers.set(realm.name, authorizer);
    return { name: realm.name, authorizer, uriCheck: realm.options.uriCheck, limits: realm.options.limits };
  }

  /** `connection`: a method the connection decides (cookie) and its observer of sign-ins, beside the configured ones. */
  gate(auth: AuthConfig, where: string, connection?: { method: ConnectionMethod; observer: SignInObserver }): AuthGate {
    const methods: (AuthMethod | ConnectionMethod)[] = methodsOf(auth, (dynamic, method) => this.authenticator(dynamic, method));
    if (connection) methods.push(connection.method);
    return gateOf({
      methods,
      ...(connection ? { observer: connection.observer } : {}),
      throttle: this.throttle,
      tally: this.tally,
      log: this.log.child({ auth: where }),
      challengeTimeoutMs: this.options.challengeTimeoutMs,
      ...(auth.routes === undefined ? {} : { routes: auth.routes }),
      ...(auth.proxyAuthenticators === undefined ? {} : { proxyBackend: this.proxyBackend(auth.proxyAuthenticators) }),
      roleExists: this.roleExists,
    });
  }

  private proxyBackend(table: ProxyAuthenticators): ProxyBackend {
    const authenticators = mapValues(table, (roles) =>
      mapValues(roles, (choices) => choices.map((choice) => choice?.type === 'dynamic' ? this.authenticator(choice, proxyAuthmethod) : choice)));
    return new ProxyBackend(authenticators);
  }

  /**
   * The gate of one of Junction's private entries: `method` alone, its sign-ins counted with the
   * others; its failures are throttled apart from the node's clients (whose addresses it does not share).
   */
  privateGate(method: AuthMethod, where: string): AuthGate {
    return gateOf({
      methods: [method],
      tally: this.tally,
      log: this.log.child({ auth: where }),
      challengeTimeoutMs: this.options.challengeTimeoutMs,
      roleExists: this.roleExists,
    });
  }

  private readonly roleExists = (realm: string, role: string): boolean => this.roles.get(realm)?.has(role) ?? true;

  /** Lets dynamic authenticators and authorizers reach their procedures. */
  attach(router: Router): void {
    this.services.connect((peer, gate, options) => router.attach(peer, gate, options));
  }

  /** Ends the service sessions; call before the router shuts down so that it need not wait for them. */
  close(): Promise<void> {
    return this.services.close();
  }

  private roleAuthorizer(realm: RealmConfig, role: RoleConfig): RoleAuthorizer {
    if (role.authorizer !== undefined) {
      const settings = { realm: realm.name, procedure: role.authorizer, drops: this.authorizationDrops };
      return new DynamicAuthorizer(settings, this.services, this.log.child({ realm: realm.name, role: role.name }));
    }
    return new PermissionTable(role.permissions, undefined, this.authorizationDrops);
  }

  private authenticator(dynamic: DynamicAuthConfig, method: string): DynamicAuthenticator {
    return new DynamicAuthenticator(
      { procedure: dynamic.authenticator, realm: dynamic.authenticatorRealm, role: dynamic.authenticatorRole, function: dynamic.function },
      method,
      this.services,
    );
  }
}

type AuthenticatorFactory = (dynamic: DynamicAuthConfig, method: string) => DynamicAuthenticator;

/** One AuthMethod per configured method, static or dynamic. */
function methodsOf(auth: AuthConfig, authenticator: AuthenticatorFactory): AuthMethod[] {
  const methods: AuthMethod[] = [];
  const { anonymous, ticket, wampcra, cryptosign, scram, tls } = auth;
  if (anonymous) {
    methods.push(anonymous.type === 'dynamic'
      ? dynamicAnonymous(authenticator(anonymous, 'anonymous'))
      : staticAnonymous(anonymous.role, anonymous.authid));
  }
  if (ticket) {
    methods.push(ticket.type === 'dynamic' ? dynamicTicket(authenticator(ticket, 'ticket')) : staticTicket(ticket.principals));
  }
  if (wampcra) {
    methods.push(wampcra.type === 'dynamic' ? dynamicWampCra(authenticator(wampcra, 'wampcra')) : staticWampCra(wampcra.users));
  }
  if (cryptosign) {
    methods.push(cryptosign.type === 'dynamic'
      ? dynamicCryptosign(authenticator(cryptosign, 'cryptosign'))
      : staticCryptosign(cryptosign.principals));
  }
  if (scram) methods.push(scram.type === 'dynamic' ? dynamicScram(authenticator(scram, 'scram')) : staticScram(scram.principals));
  if (tls) methods.push(tls.type === 'dynamic' ? dynamicTls(authenticator(tls, 'tls')) : staticTls(tls.principals));
  // None only where the file offers Crossbar's proxy sign-ins alone (served in-process): the gate refuses every client.
  return methods;
}
