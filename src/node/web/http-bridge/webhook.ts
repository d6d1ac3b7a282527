import type { WebhookService } from '../../../config/model.js';
import { ErrorUri } from '../../../protocol/errors.js';
import { uriProblem } from '../../../protocol/uri.js';
import { InternalCallError } from '../../../router/internal-session.js';
import { UnsupportedConfigError } from '../../auth-wiring.js';
import type { PathServiceFactory } from '../service-context.js';
import { BridgeSession } from './bridge-session.js';
import { bridgeHandler, realmUriRules, type BridgeReply } from './bridge-service.js';
import { checkGithubSignature } from './github-signature.js';
import { bodyText } from './json-request.js';

const acknowledgeMarginMs = 5_000;

/**
 * Webhook (Crossbar's `webhook` path service): any POST becomes one event on the configured
 * topic with a single argument {headers, body}: the headers as Crossbar spells them (each word
 * capitalized) with a list of values each, the body as text. Answers 202 with success_response,
 * or error_response with 403 (the role may not publish) or 500.
 */
export const httpWebhook: PathServiceFactory<WebhookService> = async (service, context) => {
  const rules = realmUriRules(context, service.realm);
  const problem = uriProblem(service.topic, rules);
  if (problem) throw new UnsupportedConfigError(`${context.where}: the webhook topic ${problem}`);
  const bridge = new BridgeSession(() => context.joinBridgeSession(service.realm, service.role, 'http-webhook'),
    () => context.state() === 'stopping', service.realm, context.log);
  await bridge.start(context.where);
  const acknowledgeWithinMs = context.config.signIn.dynamicTimeoutMs + acknowledgeMarginMs;

  return bridgeHandler(context, {
    kind: 'webhook',
    limits: service.options,
    readsJson: false,
    close: () => bridge.close(),
    async process(body, exchange): Promise<BridgeReply> {
      const { request } = exchange;
      if (service.githubSecret !== undefined) checkGithubSignature(service.githubSecret, request.headers, body);
      const event = { headers: headerLists(request.rawHeaders), body: bodyText(body) };
      const session = bridge.live() ?? (await bridge.get());
      try {
        await exchange.within(session.publishAcknowledged(service.topic, [event]), acknowledgeWithinMs, 'the router did not acknowledge the webhook event');
        return { status: 202, text: service.successResponse, outcome: 'accepted' };
      } catch (error) {
        if (!(error instanceof InternalCallError)) throw error;
        const reason = `${error.uri}: ${String(error.args[0] ?? '')}`;
        if (error.uri === ErrorUri.notAuthorized) return { status: 403, text: service.errorResponse, outcome: 'not_authorized', reason };
        return { status: 500, text: service.errorResponse, outcome: 'publish_failed', reason };
      }
    },
  });
};

/** Node's raw header pairs as {"Content-Type": ["application/json"], ...}, Crossbar's shape. */
export function headerLists(rawHeaders: readonly string[]): Record<string, string[]> {
  const headers: Record<string, string[]> = Object.create(null);
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = canonicalName(rawHeaders[i]!);
    (headers[name] ??= []).push(rawHeaders[i + 1]!);
  }
  return { ...headers };
}

/** "x-github-event" -> "X-Github-Event", as Crossbar (Twisted) spells header names. */
function canonicalName(name: string): string {
  return name.toLowerCase().split('-').map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join('-');
}
