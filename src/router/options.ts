import type { Dict } from '../protocol/messages.js';
import { mqttPropertiesKey, readMqttProperties, type MqttProperties } from '../protocol/mqtt-properties.js';
import { isId } from '../protocol/parse.js';
import { matchPolicies, type MatchPolicy } from '../protocol/uri.js';

/**
 * Options dicts read once, at the edge, into typed objects. Unknown keys are ignored as the spec
 * requires; a known key with the wrong type is refused with a message naming it; a known key
 * holding null counts as absent. The readers of every PUBLISH and CALL take one pass over the keys
 * the dict has (most dicts are `{}` or one key) rather than a lookup per option, most of which
 * would miss: those lookups were a seventh of a forwarding router's busy time (bench/RESULTS.md).
 * Checks then run in a fixed order, so a dict with two bad options always names the same one.
 */

export class OptionError extends Error {}

function bool(key: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') throw new OptionError(`option "${key}" must be a boolean`);
  return value;
}

function idSet(key: string, value: unknown): Set<number> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every(isId)) throw new OptionError(`option "${key}" must be a list of session IDs`);
  return new Set(value);
}

function stringSet(key: string, value: unknown): Set<string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new OptionError(`option "${key}" must be a list of strings`);
  }
  return new Set(value);
}

function oneOf<T extends string>(key: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw new OptionError(`option "${key}" must be one of ${allowed.map((a) => `"${a}"`).join(', ')}`);
  }
  return value as T;
}

function nonNegativeInteger(key: string, value: unknown): number {
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new OptionError(`option "${key}" must be a non-negative integer`);
  }
  return value;
}

/** The longest delay Node's timers keep: a longer one fires at once (with a warning). */
const longestTimerMs = 2_147_483_647;

/** A delay in milliseconds the router will wait on a timer; 0 (the default) means none. */
function timerMs(key: string, value: unknown): number {
  const ms = nonNegativeInteger(key, value);
  if (ms > longestTimerMs) {
    throw new OptionError(`option "${key}" must be at most ${longestTimerMs} ms (about 24 days); 0 means no timeout`);
  }
  return ms;
}

/** One router a forwarded PUBLISH or CALL passed through: the session that sent it there (WAMP's forward_for). */
export interface ForwardHop {
  session: number;
  authid: string;
  authrole: string;
}

/** Hops a forward_for list may name: links chain routers, they do not make long paths. */
export const MAX_FORWARD_HOPS = 16;

function isHop(value: unknown): value is ForwardHop {
  const hop = value as Partial<ForwardHop> | null;
  return typeof hop === 'object' && hop !== null && isId(hop.session) && typeof hop.authid === 'string' && typeof hop.authrole === 'string';
}

function forwardFor(value: unknown): ForwardHop[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_FORWARD_HOPS || !value.every(isHop)) {
    throw new OptionError(`option "forward_for" must be a list of 1 to ${MAX_FORWARD_HOPS} {session, authid, authrole} entries`);
  }
  return value.map(({ session, authid, authrole }) => ({ session, authid, authrole }));
}

export interface PublishOptions {
  acknowledge: boolean;
  excludeMe: boolean;
  discloseMe: boolean;
  retain: boolean;
  exclude?: Set<number>;
  excludeAuthid?: Set<string>;
  excludeAuthrole?: Set<string>;
  eligible?: Set<number>;
  eligibleAuthid?: Set<string>;
  eligibleAuthrole?: Set<string>;
  /** Junction's `_mqtt` key: copied into every event's details (docs/mqtt.md). */
  mqtt?: MqttProperties;
  /** The router links the publication came through (router-to-router links only). */
  forwardFor?: ForwardHop[];
}

function mqttProperties(value: unknown): MqttProperties | undefined {
  if (value === undefined || value === null) return undefined;
  try {
    return readMqttProperties(value);
  } catch (error) {
    throw new OptionError((error as Error).message);
  }
}

/** A publication's options when its dict sets none: shared (and frozen), so `{}` costs no allocation. */
const defaultPublishOptions: PublishOptions = Object.freeze({
  acknowledge: false, excludeMe: true, discloseMe: false, retain: false,
  exclude: undefined, excludeAuthid: undefined, excludeAuthrole: undefined,
  eligible: undefined, eligibleAuthid: undefined, eligibleAuthrole: undefined,
  mqtt: undefined, forwardFor: undefined,
});

export function readPublishOptions(options: Dict): PublishOptions {
  let acknowledge: unknown, excludeMe: unknown, discloseMe: unknown, retain: unknown;
  let exclude: unknown, excludeAuthid: unknown, excludeAuthrole: unknown;
  let eligible: unknown, eligibleAuthid: unknown, eligibleAuthrole: unknown;
  let mqtt: unknown, hops: unknown;
  let known = false;
  for (const key in options) {
    switch (key) {
      case 'acknowledge': acknowledge = options[key]; break;
      case 'exclude_me': excludeMe = options[key]; break;
      case 'disclose_me': discloseMe = options[key]; break;
      case 'retain': retain = options[key]; break;
      case 'exclude': exclude = options[key]; break;
      case 'exclude_authid': excludeAuthid = options[key]; break;
      case 'exclude_authrole': excludeAuthrole = options[key]; break;
      case 'eligible': eligible = options[key]; break;
      case 'eligible_authid': eligibleAuthid = options[key]; break;
      case 'eligible_authrole': eligibleAuthrole = options[key]; break;
      case mqttPropertiesKey: mqtt = options[key]; break;
      case 'forward_for': hops = options[key]; break;
      default: continue;
    }
    known = true;
  }
  if (!known) return defaultPublishOptions;
  return {
    acknowledge: bool('acknowledge', acknowledge, false),
    excludeMe: bool('exclude_me', excludeMe, true),
    discloseMe: bool('disclose_me', discloseMe, false),
    retain: bool('retain', retain, false),
    exclude: idSet('exclude', exclude),
    excludeAuthid: stringSet('exclude_authid', excludeAuthid),
    excludeAuthrole: stringSet('exclude_authrole', excludeAuthrole),
    eligible: idSet('eligible', eligible),
    eligibleAuthid: stringSet('eligible_authid', eligibleAuthid),
    eligibleAuthrole: stringSet('eligible_authrole', eligibleAuthrole),
    mqtt: mqttProperties(mqtt),
    forwardFor: forwardFor(hops),
  };
}

export interface SubscribeOptions {
  match: MatchPolicy;
  getRetained: boolean;
}

export function readSubscribeOptions(options: Dict): SubscribeOptions {
  return {
    match: oneOf('match', options.match, matchPolicies, 'exact'),
    getRetained: bool('get_retained', options.get_retained, false),
  };
}

export const invocationPolicies = ['single', 'roundrobin', 'random', 'first', 'last'] as const;
export type InvocationPolicy = (typeof invocationPolicies)[number];

export interface RegisterOptions {
  match: MatchPolicy;
  invoke: InvocationPolicy;
  /** Asks for the caller's identity in every INVOCATION; honoured for the router's trusted sessions only. */
  discloseCaller: boolean;
  /** Crossbar's option: takes the procedure over from the callees that hold it (they are told by revocation). */
  forceReregister: boolean;
  /** Crossbar's option: this callee's most calls in flight on this registration; 0 = no limit. */
  concurrency: number;
}

export function readRegisterOptions(options: Dict): RegisterOptions {
  return {
    match: oneOf('match', options.match, matchPolicies, 'exact'),
    invoke: oneOf('invoke', options.invoke, invocationPolicies, 'single'),
    discloseCaller: bool('disclose_caller', options.disclose_caller, false),
    forceReregister: bool('force_reregister', options.force_reregister, false),
    concurrency: nonNegativeInteger('concurrency', options.concurrency),
  };
}

export interface CallOptions {
  /** Milliseconds; 0 means no router-side timeout. */
  timeout: number;
  receiveProgress: boolean;
  discloseMe: boolean;
  /** A progressive call invocation: more input follows. */
  progress: boolean;
  /** The router links the call came through (router-to-router links only). */
  forwardFor?: ForwardHop[];
}

/** A call's options when its dict sets none: shared (and frozen), as for publications. */
const defaultCallOptions: CallOptions = Object.freeze({ timeout: 0, receiveProgress: false, discloseMe: false, progress: false, forwardFor: undefined });

export function readCallOptions(options: Dict): CallOptions {
  let timeout: unknown, receiveProgress: unknown, discloseMe: unknown, progress: unknown, hops: unknown;
  let known = false;
  for (const key in options) {
    switch (key) {
      case 'timeout': timeout = options[key]; break;
      case 'receive_progress': receiveProgress = options[key]; break;
      case 'disclose_me': discloseMe = options[key]; break;
      case 'progress': progress = options[key]; break;
      case 'forward_for': hops = options[key]; break;
      default: continue;
    }
    known = true;
  }
  if (!known) return defaultCallOptions;
  return {
    timeout: timerMs('timeout', timeout),
    receiveProgress: bool('receive_progress', receiveProgress, false),
    discloseMe: bool('disclose_me', discloseMe, false),
    progress: bool('progress', progress, false),
    forwardFor: forwardFor(hops),
  };
}

export const cancelModes = ['skip', 'kill', 'killnowait'] as const;
export type CancelMode = (typeof cancelModes)[number];

export function readCancelMode(options: Dict): CancelMode {
  return oneOf('mode', options.mode, cancelModes, 'killnowait');
}

export function readYieldProgress(options: Dict): boolean {
  return bool('progress', options.progress, false);
}
