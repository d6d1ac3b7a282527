/**
 * What a mirrored subscription or registration does (Crossbar's rlink BridgeSession): an event
 * the mirror receives on the far side is published on the home side, a call it receives is made
 * on the home side and its result or error returned. Each carries forward_for naming the original
 * sender; what arrives already forwarded is not forwarded again, which is what keeps two routers
 * linked both ways (or a ring of them) from looping.
 */

import { ErrorUri } from '../../protocol/errors.js';
import type { Args, Dict } from '../../protocol/messages.js';
import { matchPolicies, uriMatches, type MatchPolicy } from '../../protocol/uri.js';
import { payloadBytes } from '../../router/limits/payload-bytes.js';
import { WarningThrottle } from '../../router/limits/warning-throttle.js';
import type { Logger } from '../../router/log.js';
import { passedAsIs, type EchoGuard } from './echo-guard.js';
import { registeredByLinksOnly } from './link-sessions.js';
import { LinkCallError, type ForwardHop, type LinkSide, type Outcome, type SideEndpoint } from './link-sides.js';
import type { MakeMirror } from './mirror.js';
import type { Direction, LinkMeter } from './rlink-metrics.js';

export interface ForwardingContext {
  /** The side whose subscriptions or registrations are mirrored, and where forwarded traffic goes. */
  home: LinkSide;
  /** The side the mirrors are made on, where the traffic comes from. */
  away: LinkSide;
  meter: LinkMeter;
  log: Logger;
  /** Clears the link's secret from what it passes on to this router's sessions. */
  guard: EchoGuard;
}

/** The guard of what goes to `side`: only this router's sessions must not see the link's secret (the other router knows it). */
const guardOf = (side: LinkSide, guard: EchoGuard): EchoGuard => (side.name === 'local' ? guard : passedAsIs);

/** A call's error with the link's secret masked: a WAMP error's URI, args and kwargs, another error's message. */
function maskedError(guard: EchoGuard, what: string, error: unknown): unknown {
  if (error instanceof LinkCallError) {
    const [uri, args, kwargs] = guard.masked(what, [error.uri, error.args, error.kwargs] as const);
    return uri === error.uri && args === error.args && kwargs === error.kwargs ? error : new LinkCallError(uri, args, kwargs);
  }
  if (!(error instanceof Error)) return error;
  const message = guard.masked(what, error.message);
  return message === error.message ? error : new Error(message);
}

/** The sender named in forward_for: the disclosed original, or else the link's own session where it received it. */
function originalSender(details: Dict, prefix: 'publisher' | 'caller', away: LinkSide): ForwardHop {
  const session = details[prefix];
  if (typeof session !== 'number') return away.identity();
  return { session, authid: String(details[`${prefix}_authid`] ?? ''), authrole: String(details[`${prefix}_authrole`] ?? '') };
}

/**
 * The topic or procedure the far side names for what reached a mirror (a pattern's match), if the
 * mirrored subscription or registration covers it; undefined when it does not: the link's session
 * at home is trusted, so a far side naming any URI could publish or call anything there.
 */
function coveredUri(named: unknown, uri: string, match: MatchPolicy): string | undefined {
  if (typeof named !== 'string') return uri;
  return uriMatches(uri, match, named) ? named : undefined;
}

const matchOf = (details: Dict): MatchPolicy => (matchPolicies as readonly unknown[]).includes(details.match) ? details.match as MatchPolicy : 'exact';

const direction = (home: LinkSide): Direction => (home.name === 'local' ? 'to_local' : 'to_remote');

/**
 * Mirrors a home subscription as a subscription on the away side that re-publishes at home. Each
 * publication takes one of `slots` until home acknowledges it: a router that does not keep up
 * makes the link drop events (counted, warned), not hold them without bound.
 */
export function eventForwarding({ home, away, meter, log, guard }: ForwardingContext, excludeAuthid: readonly string[], slots: InFlight): MakeMirror {
  const forwarded = meter.events[direction(home)];
  const [toHome, toAway] = [guardOf(home, guard), guardOf(away, guard)];
  const exclusions = excludeAuthid.length > 0 ? { exclude_authid: [...excludeAuthid] } : {};
  const failures = new WarningThrottle();
  return (details) => {
    const uri = details.uri as string;
    if (toAway.quotedIn(`subscription "${uri}"`, uri)) return Promise.resolve(undefined);
    const match = matchOf(details);
    const warn = (topic: unknown, error: string): void => {
      const count = failures.record(performance.now());
      if (count !== undefined) log.warn({ topic, to: home.name, error, count }, 'router link: events not forwarded (count: since the last warning; further ones not logged for 10 s)');
    };
    const failed = (topic: unknown, error: string): void => {
      meter.eventFailures.inc();
      warn(topic, error);
    };
    return away.subscribe(uri, { match }, (args: Args, kwargs: Dict, event: Dict) => {
      if (event.forward_for !== undefined) return;
      const topic = coveredUri(event.topic, uri, match);
      if (topic === undefined) return failed(event.topic, `the event names a topic the link's subscription "${uri}" (${match}) does not cover`);
      if (toHome.quotedIn(`event on "${topic}"`, topic)) return;
      const bytes = slots.sizeOf(topic, args, kwargs);
      // Counted by the slots (junction_rlink_events_dropped_total).
      const refusal = slots.take(bytes);
      if (refusal !== undefined) return warn(topic, refusal);
      const [shownArgs, shownKwargs, sender] = toHome.masked(`event on "${topic}"`, [args, kwargs, originalSender(event, 'publisher', away)] as const);
      const options = { forward_for: [sender], exclude_me: true, ...exclusions };
      home.publish(topic, shownArgs, shownKwargs, options).then(() => forwarded.inc(), (error: unknown) => failed(topic, (error as Error).message)).finally(() => slots.give(bytes));
    });
  };
}

/** What an InFlight bounds (0 = no limit): how many at once, and their bytes as payloadBytes estimates them. */
export interface InFlightLimits {
  count: number;
  bytes: number;
}

/** Where an InFlight shows what it holds and counts what it refused. */
export interface InFlightMeters {
  inFlight: { set(value: number): void };
  bytesInFlight: { set(value: number): void };
  refused: { inc(): void };
}

/**
 * Calls, or events, a link forwards at once, both ways together, bounded in number and in bytes:
 * `kind` names them in refusals ("calls": limits.max_calls_in_flight, max_call_bytes_in_flight).
 * One alone is always taken, whatever its size: a bound below the largest message would otherwise
 * stop such messages for good (the transports bound each message).
 */
export class InFlight {
  #busy = 0;
  #bytes = 0;
  constructor(readonly kind: 'calls' | 'events', readonly limits: InFlightLimits, private readonly meters: InFlightMeters) {}

  /** Takes room for one of `bytes`: undefined when taken, else why not (counted in `refused`). */
  take(bytes: number): string | undefined {
    const { count, bytes: maxBytes } = this.limits;
    const refusal = count > 0 && this.#busy >= count
      ? `the router link has ${count} ${this.kind} in flight (limits.max_${this.kind}_in_flight)`
      : maxBytes > 0 && this.#busy > 0 && this.#bytes + bytes > maxBytes
        ? `the router link has ${this.#bytes} bytes of ${this.kind} in flight and this one has ${bytes} (limits.max_${this.kind.slice(0, -1)}_bytes_in_flight: ${maxBytes})`
        : undefined;
    if (refusal !== undefined) {
      this.meters.refused.inc();
      return refusal;
    }
    this.meters.inFlight.set(++this.#busy);
    this.meters.bytesInFlight.set((this.#bytes += bytes));
    return undefined;
  }

  /** Gives back what take(`bytes`) took. */
  give(bytes: number): void {
    this.meters.inFlight.set(--this.#busy);
    this.meters.bytesInFlight.set((this.#bytes -= bytes));
  }

  /** A message's bytes as this bound counts them: the walk stops past the byte limit (it could not fit with another anyway). */
  sizeOf(uri: string, args: Args, kwargs: Dict): number {
    return uri.length + payloadBytes([args, kwargs], this.limits.bytes > 0 ? this.limits.bytes : undefined);
  }
}

/** Mirrors a home registration as a registration on the away side that calls at home. */
export function callForwarding({ home, away, meter, guard }: ForwardingContext, slots: InFlight): MakeMirror {
  const forwarded = meter.calls[direction(home)];
  const [toHome, toAway] = [guardOf(home, guard), guardOf(away, guard)];
  return async (details) => {
    const uri = details.uri as string;
    if (toAway.quotedIn(`registration "${uri}"`, uri)) return undefined;
    if (await registeredByLinksOnly(home, details.id)) return undefined;
    const match = matchOf(details);
    const options: Dict = { match };
    if (typeof details.invoke === 'string') options.invoke = details.invoke;
    const endpoint: SideEndpoint = async (args, kwargs, invocation, signal, progress) => {
      if (invocation.forward_for !== undefined) {
        throw new LinkCallError(ErrorUri.noSuchProcedure, [`"${uri}" reached a router link already forwarded by another: not forwarded again`]);
      }
      const procedure = coveredUri(invocation.procedure, uri, match);
      if (procedure === undefined) {
        throw new LinkCallError(ErrorUri.notAuthorized, [`the invocation names a procedure the link's registration "${uri}" (${match}) does not cover`]);
      }
      if (toHome.quotedIn(`call of "${procedure}"`, procedure)) {
        throw new LinkCallError(ErrorUri.notAuthorized, ['the invocation names a procedure that quotes the router link\'s own secret: not forwarded']);
      }
      const bytes = slots.sizeOf(procedure, args, kwargs);
      const refusal = slots.take(bytes);
      if (refusal !== undefined) throw new LinkCallError(ErrorUri.limitExceeded, [refusal]);
      try {
        const [shownArgs, shownKwargs, caller] = toHome.masked(`call of "${procedure}"`, [args, kwargs, originalSender(invocation, 'caller', away)] as const);
        forwarded.inc();
        const timeout = typeof invocation.timeout === 'number' ? { timeout: invocation.timeout } : {};
        // The callee's progressive results go back as they arrive, when the caller asked for them (as on a direct call).
        const shownProgress = progress && ((outcome: Outcome) => {
          try {
            progress(toAway.masked(`progressive result of "${procedure}"`, outcome));
          } catch (error) {
            if (!(error instanceof LinkCallError)) throw error; // one that cannot be masked is left out (counted, warned)
          }
        });
        const outcome = await home.call(procedure, shownArgs, shownKwargs, { forward_for: [caller], ...timeout }, signal, shownProgress);
        return toAway.masked(`result of "${procedure}"`, outcome);
      } catch (error) {
        throw maskedError(toAway, `error of "${procedure}"`, error);
      } finally {
        slots.give(bytes);
      }
    };
    try {
      return await away.register(uri, options, endpoint);
    } catch (error) {
      // The other side has its own callee (or another link's mirror) for it: calls there stay there (as Crossbar).
      if (error instanceof LinkCallError && error.uri === ErrorUri.procedureAlreadyExists) return undefined;
      throw error;
    }
  };
}
