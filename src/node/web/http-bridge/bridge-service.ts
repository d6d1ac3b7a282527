import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpBridgeOptions, HttpSignatureOptions } from '../../../config/model.js';
import type { BoundCounter } from '../../../metrics/registry.js';
import { defaultMaxRequestsInFlight } from '../../../config/schema-http-bridge.js';
import type { UriRules } from '../../../protocol/uri.js';
import type { InternalCallError } from '../../../router/internal-session.js';
import { UnsupportedConfigError } from '../../auth-wiring.js';
import type { PathHandler } from '../listener.js';
import type { ClientAddress, ServiceContext } from '../service-context.js';
import { readLimitedBodyThen, type BodyResult } from '../../../transport/http-body.js';
import { bodyOf } from './request-body.js';
import { ClientGate, allowedMethods, checkJsonContentType, checkMethod } from './request-checks.js';
import { OriginGate } from './origin-check.js';
import { ClientGone, Refusal, refusalBody, sendBridgeJson, sendBridgeJsonText } from './refusal.js';
import { SignatureVerifier } from './signed-request.js';
import { UncheckedSignatures } from './unchecked-signatures.js';
import { DeadlineList } from './deadline-list.js';
import { plural } from '../../../protocol/plural.js';

/** What a service answers to a request that passed the common checks. */
export interface BridgeReply {
  status: number;
  /** A JSON body, or that body already written as JSON text, or else a text body (the webhook's configured answers). */
  json?: unknown;
  jsonText?: string;
  text?: string;
  /** For metrics and logs: "accepted", or a fixed word for what went wrong (never client input). */
  outcome: string;
  /** For the warn line of a failed outcome (a WAMP error's message). */
  reason?: string;
}

export interface BridgeExchange {
  request: IncomingMessage;
  client: ClientAddress;
  /** Aborted when the client goes away before it was answered. */
  readonly signal: AbortSignal;
  /** Resolves or fails as `promise` does, or fails with a 504 refusal after `ms`: no request waits forever on the router. */
  within<T>(promise: Promise<T>, ms: number, what: string): Promise<T>;
}

export interface BridgeServiceSpec {
  kind: 'publisher' | 'caller' | 'webhook';
  limits: Omit<HttpBridgeOptions, 'signature'>;
  signature?: HttpSignatureOptions;
  /** Checks the Content-Type (publisher, caller); a webhook takes any body. */
  readsJson: boolean;
  /**
   * Handles a request that passed method, origin, address, TLS, content type, size and signature checks.
   * A reply known at once is returned as it is (the publisher's, when the router acknowledged
   * the publication during the call): it is sent in the same turn, with no promise in between.
   */
  process(body: Buffer, exchange: BridgeExchange): BridgeReply | Promise<BridgeReply>;
  close?(): Promise<void>;
}

/**
 * The checks every HTTP bridge service shares, in order: method, origin (a browser's cross-site
 * request: allowed_origins), client address (require_ip), TLS (require_tls), content type,
 * requests in flight, body size (post_body_limit) and, when configured, the request signature
 * (without one, signature parameters a request carries are reported: unchecked-signatures.ts).
 * Refusals are answered as JSON, logged at warn with the client's address (never the body or a
 * secret) and counted by reason.
 */
export function bridgeHandler(context: ServiceContext, spec: BridgeServiceSpec): PathHandler {
  const gate = new ClientGate(spec.limits.requireIp, spec.limits.requireTls);
  const origins = new OriginGate(spec.limits.allowedOrigins ?? []);
  const verifier = spec.signature ? new SignatureVerifier(spec.signature) : undefined;
  const log = context.log.child({ service: spec.kind });
  // A webhook has no key/secret to set: only a publisher's or caller's sender may believe it signs.
  const unchecked = verifier === undefined && spec.kind !== 'webhook' ? new UncheckedSignatures(log, context.metrics, { service: spec.kind, path: context.path }) : undefined;
  const requests = context.metrics.counter('junction_http_bridge_requests_total',
    'HTTP bridge requests by service, path and outcome ("accepted" or why not)');
  // Outcomes are a few fixed words: each gets its counter on first use, not a label lookup per request.
  const counters = new Map<string, BoundCounter>();
  const count = (outcome: string): void => {
    let counter = counters.get(outcome);
    if (!counter) counters.set(outcome, (counter = requests.bind({ service: spec.kind, path: context.path, outcome })));
    counter.inc();
  };
  const settle = (exchange: Exchange, outcome: string): void => {
    if (exchange.outcome !== undefined) return;
    exchange.outcome = outcome;
    count(outcome);
  };
  const deadlines = new DeadlineList();
  let inFlight = 0;
  const maxRequestsInFlight = spec.limits.maxRequestsInFlight ?? defaultMaxRequestsInFlight;

  /** Up to reading the body: the checks that need no body, in the order of the doc comment above. */
  function handle(request: IncomingMessage, response: ServerResponse): void {
    const exchange = new Exchange(request, response, context.clientAddress(request), deadlines);
    try {
      if (request.method === 'OPTIONS') {
        response.writeHead(204, { allow: allowedMethods, ...origins.preflightHeaders(request) });
        response.end();
        return settle(exchange, 'options');
      }
      checkMethod(request.method);
      origins.check(request, exchange.client, response);
      gate.check(exchange.client);
      if (spec.readsJson) checkJsonContentType(request);
      if (inFlight >= maxRequestsInFlight) {
        throw new Refusal(503, 'too_many_requests', `this service is handling ${plural(maxRequestsInFlight, 'request')} already (max_requests_in_flight); try again shortly`,
          undefined, { 'retry-after': '1' });
      }
      inFlight++;
      exchange.holdsSlot = true;
      readLimitedBodyThen(request, spec.limits.postBodyLimit, (read) => received(exchange, read));
    } catch (error) {
      fail(exchange, error);
    }
  }

  /**
   * The body is in: the signature, then the service. A reply the service has at once (a
   * publication the router acknowledged) is sent in this same turn, without a promise; only a
   * reply still to come watches for the client leaving meanwhile.
   */
  function received(exchange: Exchange, read: BodyResult): void {
    try {
      const body = bodyOf(read, spec.limits.postBodyLimit);
      if (verifier) verifier.verify(queryOf(exchange.request.url), body);
      else unchecked?.note(exchange.request.url, exchange.client.label);
      const reply = spec.process(body, exchange);
      if (!(reply instanceof Promise)) return respond(exchange, reply);
      exchange.response.on('close', () => {
        if (exchange.response.writableFinished) return;
        exchange.leave();
        clientLeft(exchange);
      });
      reply.then((later) => respond(exchange, later), (error: unknown) => fail(exchange, error));
    } catch (error) {
      fail(exchange, error);
    }
  }

  function respond(exchange: Exchange, reply: BridgeReply): void {
    release(exchange);
    if (exchange.gone) return;
    try {
      if (reply.status >= 400) log.warn({ client: exchange.client.label, outcome: reply.outcome, status: reply.status, reason: reply.reason }, 'HTTP bridge request failed');
      send(exchange.response, reply);
      settle(exchange, reply.outcome);
    } catch (error) {
      fail(exchange, error);
    }
  }

  function fail(exchange: Exchange, error: unknown): void {
    release(exchange);
    const client = exchange.client;
    if (error instanceof ClientGone || exchange.gone) return clientLeft(exchange);
    if (error instanceof Refusal) {
      log.warn({ client: client.label, reason: error.code, status: error.status, message: error.message }, 'HTTP bridge request refused');
      sendBridgeJson(exchange.response, error.status, refusalBody(error), error.headers);
      return settle(exchange, error.code);
    }
    log.error({ client: client.label, err: (error as Error).message }, 'HTTP bridge request failed');
    const message = 'the bridge failed to handle this request';
    sendBridgeJson(exchange.response, 500, { error: 'internal_error', message, args: [message], kwargs: {} });
    settle(exchange, 'internal_error');
  }

  /** A client that leaves is counted when it leaves (mid-body, or while its publication or call runs), not when that ends. */
  function clientLeft(exchange: Exchange): void {
    if (exchange.outcome !== undefined) return;
    log.debug({ client: exchange.client.label }, 'the client left before it was answered');
    settle(exchange, 'client_gone');
  }

  function release(exchange: Exchange): void {
    if (!exchange.holdsSlot) return;
    exchange.holdsSlot = false;
    inFlight--;
  }

  return {
    request: handle,
    close: spec.close,
  };
}

/**
 * One request on its way through the bridge: who sent it, how it ended (`outcome`, counted
 * once), whether it holds one of max_requests_in_flight, whether the client left before it was
 * answered, and the abort signal that says so to a service that asks for it (the caller cancels
 * its call). The AbortController is made only then: one per request was 2.5% of the router's
 * time under a stream of publications, which never ask.
 */
class Exchange implements BridgeExchange {
  outcome: string | undefined;
  holdsSlot = false;
  gone = false;
  private controller: AbortController | undefined;

  constructor(readonly request: IncomingMessage, readonly response: ServerResponse, readonly client: ClientAddress, private readonly deadlines: DeadlineList) {}

  leave(): void {
    this.gone = true;
    this.controller?.abort();
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.gone) this.controller.abort();
    }
    return this.controller.signal;
  }

  within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
    return this.deadlines.within(promise, ms, what);
  }
}

function send(response: ServerResponse, reply: BridgeReply): void {
  if (reply.json !== undefined) return sendBridgeJson(response, reply.status, reply.json);
  if (reply.jsonText !== undefined) return sendBridgeJsonText(response, reply.status, reply.jsonText);
  const text = reply.text ?? '';
  response.writeHead(reply.status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-store',
  });
  response.end(text);
}

function queryOf(url: string | undefined): URLSearchParams {
  return new URL(url ?? '/', 'http://bridge.invalid').searchParams;
}

/** A WAMP error (from the router or a callee) as Crossbar's bridge answers it: {error, args, kwargs}, plus a message on failures. */
export function wampErrorReply(error: InternalCallError, status: number, outcome: string): BridgeReply {
  const reason = typeof error.args[0] === 'string' ? error.args[0] : error.uri;
  const json: Record<string, unknown> = { error: error.uri, args: error.args, kwargs: error.kwargs };
  if (status >= 400) json.message = reason;
  return { status, json, outcome, reason };
}

/** The URI rule of the realm a service acts in (its `uri_check`). */
export function realmUriRules(context: ServiceContext, realm: string): UriRules {
  const config = context.config.realms.find((candidate) => candidate.name === realm);
  if (!config) throw new UnsupportedConfigError(`${context.where}: realm "${realm}" is not configured`);
  return { strict: config.options.uriCheck === 'strict' };
}
