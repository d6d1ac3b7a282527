import { Agent } from 'undici';
import type { RestCalleeComponentConfig } from '../../../config/model.js';
import type { Args, Dict } from '../../../protocol/messages.js';
import { InternalCallError, type InternalSession } from '../../../router/internal-session.js';
import { UnsupportedConfigError } from '../../auth-wiring.js';
import type { ComponentContext, ComponentFactory } from '../component-types.js';
import { authenticationRequest, principalFromResponse } from './authenticator.js';
import { RestErrorUri, restError } from './errors.js';
import { exchange, requestFacts, type HttpRequest, type HttpResponse } from './http-exchange.js';
import { InvalidCallError, readHeaders, readRestCall, requestHeaders } from './rest-call.js';
import { restResult } from './rest-result.js';
import { BadUrlError, joinRequestUrl, readBaseUrl } from './request-url.js';
import { plural } from '../../../protocol/plural.js';
import { urlForLog } from '../../../config/mask-secrets.js';
import { QuietWarning } from '../../../router/limits/warning-throttle.js';

/**
 * The settings this component reads. `authenticator` (a Junction extension, `extra.authenticator`
 * in the file) is not in the config model yet; until it is, it is read from here.
 */
export type RestCalleeSettings = RestCalleeComponentConfig & { authenticator?: boolean };

/** Connections kept open to the app's origin (the pool is per component). */
const connectionsPerOrigin = 32;
/** Requests to the app at once; more calls are refused with junction.error.rest.busy. */
const maxRequestsInFlight = 256;

/**
 * Crossbar's RESTCallee: registers `procedure`; each call becomes one HTTP request below
 * `baseUrl`, answered with {code, content, headers}. In authenticator mode the procedure is a
 * dynamic authenticator instead (see authenticator.ts).
 */
export const restCalleeComponent: ComponentFactory<RestCalleeComponentConfig> = async (config, context) => {
  const settings: RestCalleeSettings = config;
  let base: URL;
  let configuredHeaders: Record<string, string[]>;
  try {
    base = readBaseUrl(settings.baseUrl);
    configuredHeaders = readHeaders(settings.headers, 'headers');
  } catch (error) {
    throw new UnsupportedConfigError(`component "${settings.id}": ${(error as Error).message}`);
  }
  const agent = new Agent({ connections: connectionsPerOrigin, headersTimeout: settings.timeoutMs, bodyTimeout: settings.timeoutMs });
  const limits = { timeoutMs: settings.timeoutMs, maxResponseBytes: settings.maxResponseBytes };
  let inFlight = 0;
  // Callers can keep the app busy faster than it answers: each refusal counted, warned at most every 10 s.
  const busyRefusals = context.metrics.counter('junction_rest_busy_total',
    'Calls of a RESTCallee refused as busy (256 requests to the app in flight), by component').bind({ component: settings.id });
  const busyWarning = new QuietWarning(context.log);

  const send = async (request: HttpRequest, cancelled?: AbortSignal): Promise<HttpResponse> => {
    if (inFlight >= maxRequestsInFlight) {
      busyRefusals.inc();
      busyWarning.warn({ maxRequestsInFlight }, 'a call was refused as busy (junction.error.rest.busy): the app does not answer as fast as it is called');
      throw restError(RestErrorUri.busy, `already ${plural(maxRequestsInFlight, 'request')} to the app in flight`, requestFacts(request));
    }
    inFlight += 1;
    const started = Date.now();
    try {
      const response = await exchange(agent, request, limits, cancelled);
      context.log.debug({ ...requestFacts(request), status: response.status, ms: Date.now() - started }, 'request to the app answered');
      return response;
    } catch (error) {
      // Only the method, URL (without credentials) and outcome: the configured headers may hold secrets.
      const failure = error as InternalCallError;
      context.log.warn({ ...requestFacts(request), error: failure.uri, reason: failure.message }, 'request to the app failed');
      throw error;
    } finally {
      inFlight -= 1;
    }
  };

  const forward = async (args: Args, kwargs: Dict, _details: Dict, cancelled: AbortSignal): Promise<unknown> => {
    const call = readCall(() => readRestCall(args, kwargs));
    let url: URL;
    try {
      url = joinRequestUrl(base, call.url, call.params);
    } catch (error) {
      if (!(error instanceof BadUrlError)) throw error;
      const shown = urlForLog(call.url);
      throw restError(RestErrorUri.badUrl, `url "${shown}" refused: ${error.message} (base URL ${urlForLog(base)})`, { method: call.method, url: shown });
    }
    const request: HttpRequest = { method: call.method, url, headers: requestHeaders(configuredHeaders, call) };
    if (call.body !== undefined) request.body = call.body;
    const result = restResult(await send(request, cancelled));
    const mapped = (result.code >= 400 && result.code <= 499 && settings.errorOn4xx) || (result.code >= 500 && result.code <= 599 && settings.errorOn5xx);
    if (mapped) {
      const facts = requestFacts(request);
      throw restError(RestErrorUri.httpStatus, `${facts.method} ${facts.url} answered HTTP ${result.code}`, { ...facts, status: result.code, content: result.content });
    }
    return result;
  };

  const authenticate = async (args: Args): Promise<unknown> => {
    const request = readCall(() => authenticationRequest(base, args, configuredHeaders));
    return principalFromResponse(await send(request), requestFacts(request));
  };

  let session: InternalSession | undefined;
  try {
    session = await join(settings, context);
    await session.register(settings.procedure, settings.authenticator === true ? authenticate : forward);
  } catch (error) {
    session?.leave();
    await agent.destroy();
    const reason = error instanceof InternalCallError ? `${error.uri} ${String(error.args[0] ?? '')}` : (error as Error).message;
    throw new Error(`component "${settings.id}": could not register "${settings.procedure}" in realm "${settings.realm}": ${reason}`);
  }
  context.log.info({ procedure: settings.procedure, baseUrl: urlForLog(base), authenticator: settings.authenticator === true }, 'REST-backed procedure registered');
  return {
    async stop() {
      session.leave();
      await agent.destroy();
    },
  };
};

function join(config: RestCalleeComponentConfig, context: ComponentContext): Promise<InternalSession> {
  return config.role === undefined
    ? context.joinTrustedSession(config.realm, config.id)
    : context.joinBridgeSession(config.realm, config.role, config.id);
}

function readCall<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof InvalidCallError) throw new InternalCallError(RestErrorUri.invalidArgument, [error.message]);
    throw error;
  }
}
