import type { CallerService } from '../../../config/model.js';
import { ErrorUri } from '../../../protocol/errors.js';
import { InternalCallError } from '../../../router/internal-session.js';
import type { PathServiceFactory } from '../service-context.js';
import { BridgeSession } from './bridge-session.js';
import { bridgeHandler, realmUriRules, wampErrorReply, type BridgeReply } from './bridge-service.js';
import { describe, parseJsonObject, readArgs, readKwargs, readOptions, readUri } from './json-request.js';
import { Refusal } from './refusal.js';

/** Past the dealer's own timeout, how long to wait before answering 504 regardless. */
const routerMarginMs = 5_000;

/** The fields a call's JSON body may have, and the options its `options` may set. */
export const callBodyFields = ['procedure', 'args', 'kwargs', 'options'] as const;
export const callOptionNames = ['timeout'] as const;

/**
 * HTTP caller (Crossbar's `caller` path service): POST {procedure, args?, kwargs?, options?: {timeout}}
 * calls as the service's role and answers 200 with the result in Crossbar's shape (callerAnswer). A WAMP error is answered {"error", "args", "kwargs"} with 200, as
 * Crossbar does, except refusals the client must act on: not authorized (403) and timeouts (504).
 * Every call has a timeout, at most the service's `maxTimeoutMs` (Crossbar has no limit; an HTTP
 * client should not hold a connection forever), and is cancelled when the HTTP client goes away
 * before the answer.
 */
export const httpCaller: PathServiceFactory<CallerService> = async (service, context) => {
  const rules = realmUriRules(context, service.realm);
  const bridge = new BridgeSession(() => context.joinBridgeSession(service.realm, service.role, 'http-caller'),
    () => context.state() === 'stopping', service.realm, context.log);
  await bridge.start(context.where);

  return bridgeHandler(context, {
    kind: 'caller',
    limits: service.options,
    signature: service.options.signature,
    readsJson: true,
    close: () => bridge.close(),
    async process(body, exchange): Promise<BridgeReply> {
      const fields = parseJsonObject(body, callBodyFields, context.config.maxNestingDepth);
      const procedure = readUri(fields, 'procedure', rules);
      const args = readArgs(fields);
      const kwargs = readKwargs(fields);
      const timeout = readTimeout(readOptions(fields, callOptionNames), service.maxTimeoutMs);
      const session = bridge.live() ?? (await bridge.get());
      try {
        // A client that leaves cancels its call: the dealer interrupts the callee.
        const calling = session.call(procedure, args, kwargs, { timeout }, exchange.signal);
        const outcome = await exchange.within(calling, timeout + routerMarginMs, `the router did not answer the call to "${procedure}"`);
        return { status: 200, json: callerAnswer(outcome.args, outcome.kwargs), outcome: 'accepted' };
      } catch (error) {
        if (!(error instanceof InternalCallError)) throw error;
        switch (error.uri) {
          case ErrorUri.notAuthorized: return wampErrorReply(error, 403, 'not_authorized');
          case ErrorUri.timeout:
          case ErrorUri.canceled: return wampErrorReply(error, 504, 'call_timeout');
          default: return wampErrorReply(error, 200, 'call_error');
        }
      }
    },
  });
};

/**
 * A call's result as Crossbar's caller answers it: "args" and "kwargs" each only when not empty,
 * and a result with neither as {"args": [null]} (Autobahn|Python, which Crossbar calls with,
 * reads such a YIELD as the single value None).
 */
export function callerAnswer(args: readonly unknown[], kwargs: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const hasKwargs = Object.keys(kwargs).length > 0;
  if (args.length === 0 && !hasKwargs) return { args: [null] };
  return { ...(args.length > 0 ? { args } : {}), ...(hasKwargs ? { kwargs } : {}) };
}

/**
 * options.timeout in ms: a whole number up to the service's limit; 0 or absent means the limit.
 * More is refused rather than cut down: the client learns the limit instead of a surprise 504.
 */
function readTimeout(options: Record<string, unknown>, maxTimeoutMs: number): number {
  const value = options.timeout;
  if (value === undefined || value === null || value === 0) return maxTimeoutMs;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new Refusal(400, 'invalid_option', `option "timeout" must be a whole number of milliseconds, not ${typeof value === 'number' ? value : describe(value)}`);
  }
  if (value > maxTimeoutMs) {
    throw new Refusal(400, 'invalid_option', `option "timeout" is ${value} ms; this service allows at most ${maxTimeoutMs} ms`);
  }
  return value;
}
