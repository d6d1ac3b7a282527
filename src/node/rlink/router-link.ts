/**
 * One router link, supervised: connect to the other router (cryptosign with the node key, as Crossbar), join
 * this router's realm as the link's local session, mirror subscriptions and registrations in the
 * directions the config asks, and when the other router's session ends, leave the local one too
 * (so what the link registered on either side goes with it) and connect again after a backoff.
 */

import type { AuthOptions } from '../../client/auth/types.js';
import { retryDelay, type ReconnectPolicy } from '../../client/backoff.js';
import { WampError } from '../../client/errors.js';
import { Connection } from '../../client/connection.js';
import { Session } from '../../client/session.js';
import { codecByName } from '../../codec/index.js';
import type { RouterLinkConfig } from '../../config/model.js';
import type { InternalSession } from '../../router/internal-session.js';
import type { Logger } from '../../router/log.js';
import { linkDialer, type LinkDialer } from './dial.js';
import type { EchoGuard } from './echo-guard.js';
import { callForwarding, eventForwarding, InFlight, type ForwardingContext } from './forwarding.js';
import { linkAuthenticator } from './link-sign-in.js';
import { localSide, remoteSide, type LinkSide } from './link-sides.js';
import { Mirror, MirrorBudget } from './mirror.js';
import type { LinkMeter } from './rlink-metrics.js';

/** Crossbar's reconnect schedule for a link (autobahn's ApplicationRunner): 1 s, growing 1.5 times, at most 60 s. */
export const linkReconnect: ReconnectPolicy = { initialDelay: 1000, maxDelay: 60_000, growth: 1.5, maxRetries: Infinity, jitter: 0.1 };

/** As Crossbar's local leg: a trusted session of this router. */
const localRole = 'trusted';

export interface RouterLinkDeps {
  /** What the session to the other router signs in with. */
  auth: AuthOptions;
  /** Joins this router's realm as one of its trusted sessions. */
  joinLocal(realm: string, authid: string): Promise<InternalSession>;
  log: Logger;
  meter: LinkMeter;
  /** Clears the link's own secret from what it passes on to this router's sessions. */
  guard: EchoGuard;
}

export class RouterLink {
  #stopping = false;
  #remote: Session | undefined;
  #wake: (() => void) | undefined;
  #running: Promise<void> | undefined;
  readonly #subscriptions: MirrorBudget;
  readonly #registrations: MirrorBudget;
  readonly #calls: InFlight;
  readonly #events: InFlight;
  readonly #dialer: LinkDialer;

  /** Reads the link's TLS files: a missing one throws (the node does not start). */
  constructor(private readonly config: RouterLinkConfig, private readonly deps: RouterLinkDeps) {
    const { meter } = deps;
    this.#dialer = linkDialer(config.transport, config.limits, `realm "${config.localRealm}" rlink "${config.id}"`);
    this.#subscriptions = new MirrorBudget(config.limits.maxSubscriptions, meter.mirrored.subscription, meter.mirrorsRefused.subscription);
    this.#registrations = new MirrorBudget(config.limits.maxRegistrations, meter.mirrored.registration, meter.mirrorsRefused.registration);
    const { limits } = config;
    this.#calls = new InFlight('calls', { count: limits.maxCallsInFlight, bytes: limits.maxCallBytesInFlight },
      { inFlight: meter.callsInFlight, bytesInFlight: meter.callBytesInFlight, refused: meter.callsRefused });
    this.#events = new InFlight('events', { count: limits.maxEventsInFlight, bytes: limits.maxEventBytesInFlight },
      { inFlight: meter.eventsInFlight, bytesInFlight: meter.eventBytesInFlight, refused: meter.eventsDropped });
  }

  start(): void {
    this.#running ??= this.#run();
  }

  /** Ends the link; an attempt still connecting is left when it ends (not waited for). */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    await this.#remote?.leave().catch(() => undefined);
  }

  async #run(): Promise<void> {
    const { log, meter } = this.deps;
    for (let attempt = 1; !this.#stopping; attempt++) {
      let remote: Session | undefined;
      try {
        remote = await this.#connect();
      } catch (error) {
        meter.failures.connect.inc();
        const certificate = this.#dialer.certificateRefusal();
        const refused = error instanceof WampError ? { reason: error.uri } : {};
        if (certificate !== undefined) log.warn({ error: certificate }, 'router link: the other router\'s TLS certificate does not verify (see the link\'s tls.ca_certificates and tls.hostname)');
        else log.warn({ ...refused, error: (error as Error).message }, 'router link: cannot join the other router');
      }
      if (remote) {
        attempt = 0;
        await this.#serve(remote);
      }
      if (this.#stopping) break;
      const delay = retryDelay(linkReconnect, Math.max(attempt, 1));
      log.info({ delay_ms: delay }, 'router link: connecting again after a delay');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  async #connect(): Promise<Session> {
    const { transport, realm } = this.config;
    const { factory, url, channelId } = this.#dialer;
    const serializers = transport.kind === 'websocket' ? transport.serializers : [transport.serializer];
    const authenticate = await linkAuthenticator(this.deps.auth, channelId);
    // The endpoint's timeout bounds the whole sign-in too: a router that goes silent midway is left, and dialled again after the backoff.
    const config = {
      targets: [{ type: 'websocket' as const, url, transport: factory }], realm, codecs: serializers.map(codecByName), authenticator: authenticate,
      handshakeTimeoutMs: transport.endpoint.timeoutMs,
    };
    const session = new Session((hooks) => new Connection(config, undefined, hooks), realm, (error, where) =>
      this.deps.log.warn({ where, error: (error as Error).message }, 'router link: a forwarding handler failed'));
    await session.start();
    return session;
  }

  /** Runs the link over one session to the other router, until that session ends. */
  async #serve(remote: Session): Promise<void> {
    const { log, meter } = this.deps;
    const ended = (async () => {
      for await (const status of remote.status()) if (status.type === 'closed') return status;
      return undefined;
    })();
    this.#remote = remote;
    let local: InternalSession | undefined;
    const mirrors: Mirror[] = [];
    try {
      if (this.#stopping) return;
      local = await this.deps.joinLocal(this.config.localRealm, this.config.id);
      mirrors.push(...this.#mirrors(localSide(local, { authid: this.config.id, authrole: localRole }), remoteSide(remote)));
      for (const mirror of mirrors) await mirror.start();
      meter.up.set(1);
      log.info({ session: remote.id, authid: String(remote.details.authid), authrole: String(remote.details.authrole) }, 'router link up');
      // Either session may end: the other router's, or the link's own here (killed through the meta API, its realm removed).
      const end = await Promise.race([ended, local.closed.then(() => 'local' as const)]);
      if (!this.#stopping) {
        meter.failures.lost.inc();
        if (end === 'local') log.warn({}, 'router link down: its session on this router was closed');
        else log.warn({ reason: end?.reason, message: end?.message }, 'router link down: its session to the other router ended');
      }
    } catch (error) {
      if (!this.#stopping) {
        meter.failures.setup.inc();
        log.warn({ error: (error as Error).message }, 'router link: cannot set up forwarding (does the link\'s role on each router allow the meta API, subscribe, register?)');
      }
    } finally {
      meter.up.set(0);
      for (const mirror of mirrors) mirror.clear();
      local?.leave();
      this.#remote = undefined;
      await remote.leave().catch(() => undefined);
    }
  }

  /** The forwarding each of the four `forward_*` keys turns on (Crossbar's RLinkLocalSession and RLinkRemoteSession). */
  #mirrors(local: LinkSide, remote: LinkSide): Mirror[] {
    const { config, deps } = this;
    const toward = (home: LinkSide, away: LinkSide): ForwardingContext => ({ home, away, meter: deps.meter, log: deps.log, guard: deps.guard });
    const mirrors: Mirror[] = [];
    const events = (home: LinkSide, away: LinkSide, excludeAuthid: readonly string[]) =>
      mirrors.push(new Mirror(home, 'subscription', eventForwarding(toward(home, away), excludeAuthid, this.#events), this.#subscriptions, deps.log));
    const calls = (home: LinkSide, away: LinkSide) =>
      mirrors.push(new Mirror(home, 'registration', callForwarding(toward(home, away), this.#calls), this.#registrations, deps.log));
    // Crossbar applies exclude_authid to what the link publishes on the other router only.
    if (config.forwardLocalEvents) events(local, remote, []);
    if (config.forwardRemoteEvents) events(remote, local, config.excludeAuthid);
    if (config.forwardLocalInvocations) calls(local, remote);
    if (config.forwardRemoteInvocations) calls(remote, local);
    return mirrors;
  }
}
