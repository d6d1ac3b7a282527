import type { Dict } from '../protocol/messages.js';
import { mqttPropertiesKey, readMqttProperties, type MqttProperties } from '../protocol/mqtt-properties.js';
import { isId } from '../protocol/parse.js';
import { matchPolicies, type MatchPolicy } from '../protocol/uri.js';

/**
 * Options dicts read once, at the edge, into typed objects. Unknown keys are ignored as the spec
 * requires; a known key with the wrong type is refused with a message naming it.
 */

export class OptionError extends Error {}

function bool(dict: Dict, key: string, fallback: boolean): boolean {
  const value = dict[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') throw new OptionError(`option "${key}" must be a boolean`);
  return value;
}

function idSet(dict: Dict, key: string): Set<number> | undefined {
  const value = dict[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every(isId)) throw new OptionError(`option "${key}" must be a list of session IDs`);
  return new Set(value);
}

function stringSet(dict: Dict, key: string): Set<string> | undefined {
  const value = dict[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new OptionError(`option "${key}" must be a list of strings`);
  }
  return new Set(value);
}

function oneOf<T extends string>(dict: Dict, key: string, allowed: readonly T[], fallback: T): T {
  const value = dict[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw new OptionError(`option "${key}" must be one of ${allowed.map((a) => `"${a}"`).join(', ')}`);
  }
  return value as T;
}

function nonNegativeInteger(dict: Dict, key: string): number {
  const value = dict[key];
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new OptionError(`option "${key}" must be a non-negative integer`);
  }
  return value;
}

/** The longest delay Node's timers keep: a longer one fires at once (with a warning). */
const longestTimerMs = 2_147_483_647;

/** A delay in milliseconds the router will wait on a timer; 0 (the default) means none. */
function timerMs(dict: Dict, key: string): number {
  const value = nonNegativeInteger(dict, key);
  if (value > longestTimerMs) {
    throw new OptionError(`option "${key}" must be at most ${longestTimerMs} ms (about 24 days); 0 means no timeout`);
  }
  return value;
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

function forwardFor(options: Dict): ForwardHop[] | undefined {
  const value = options.forward_for;
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

function mqttProperties(options: Dict): MqttProperties | undefined {
  const value = options[mqttPropertiesKey];
  if (value === undefined || value === null) return undefined;
  try {
    return readMqttProperties(value);
  } catch (error) {
    throw new OptionError((error as Error).message);
  }
}

export function readPublishOptions(options: Dict): PublishOptions {
  return {
    acknowledge: bool(options, 'acknowledge', false),
    excludeMe: bool(options, 'exclude_me', true),
    discloseMe: bool(options, 'disclose_me', false),
    retain: bool(options, 'retain', false),
    exclude: idSet(options, 'exclude'),
    excludeAuthid: stringSet(options, 'exclude_authid'),
    excludeAuthrole: stringSet(options, 'exclude_authrole'),
    eligible: idSet(options, 'eligible'),
    eligibleAuthid: stringSet(options, 'eligible_authid'),
    eligibleAuthrole: stringSet(options, 'eligible_authrole'),
    mqtt: mqttProperties(options),
    forwardFor: forwardFor(options),
  };
}

export interface SubscribeOptions {
  match: MatchPolicy;
  getRetained: boolean;
}

export function readSubscribeOptions(options: Dict): SubscribeOptions {
  return {
    match: oneOf(options, 'match', matchPolicies, 'exact'),
    getRetained: bool(options, 'get_retained', false),
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
    match: oneOf(options, 'match', matchPolicies, 'exact'),
    invoke: oneOf(options, 'invoke', invocationPolicies, 'single'),
    discloseCaller: bool(options, 'disclose_caller', false),
    forceReregister: bool(options, 'force_reregister', false),
    concurrency: nonNegativeInteger(options, 'concurrency'),
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

export function readCallOptions(options: Dict): CallOptions {
  return {
    timeout: timerMs(options, 'timeout'),
    receiveProgress: bool(options, 'receive_progress', false),
    discloseMe: bool(options, 'disclose_me', false),
    progress: bool(options, 'progress', false),
    forwardFor: forwardFor(options),
  };
}

export const cancelModes = ['skip', 'kill', 'killnowait'] as const;
export type CancelMode = (typeof cancelModes)[number];

export function readCancelMode(options: Dict): CancelMode {
  return oneOf(options, 'mode', cancelModes, 'killnowait');
}

export function readYieldProgress(options: Dict): boolean {
  return bool(options, 'progress', false);
}
