import type { PublisherService } from '../../../config/model.js';
import { ErrorUri } from '../../../protocol/errors.js';
import type { Dict } from '../../../protocol/messages.js';
import { InternalCallError, type InternalSession } from '../../../router/internal-session.js';
import type { PathServiceFactory } from '../service-context.js';
import { BridgeSession } from './bridge-session.js';
import { bridgeHandler, realmUriRules, wampErrorReply, type BridgeExchange, type BridgeReply } from './bridge-service.js';
import { parseJsonObject, readArgs, readKwargs, readOptions, readUri } from './json-request.js';
import { publishOptionNames, readPublishOptions } from './publish-options.js';

/** A publication is acknowledged at once unless a dynamic authorizer is asked; past this, the client gets a 504. */
const acknowledgeMarginMs = 5_000;

/** {"id": n} written directly: a publication ID is an integer below 2^53, and the general JSON writer was 2% of the router's busy time under a stream of POSTs. */
function accepted(id: number): BridgeReply {
  return { status: 200, jsonText: `{"id":${id}}`, outcome: 'accepted' };
}

/** The router's refusal of a publication as the bridge answers it; anything else is rethrown (a 500). */
function publishFailed(error: unknown): BridgeReply {
  if (!(error instanceof InternalCallError)) throw error;
  switch (error.uri) {
    case ErrorUri.notAuthorized: return wampErrorReply(error, 403, 'not_authorized');
    case ErrorUri.invalidUri: return wampErrorReply(error, 400, 'invalid_uri');
    case ErrorUri.invalidArgument: return wampErrorReply(error, 400, 'invalid_option');
    default: return wampErrorReply(error, 500, 'publish_failed');
  }
}

interface Publication {
  topic: string;
  args: unknown[];
  kwargs: Dict | undefined;
  options: Dict;
}

/** Publishes; acknowledged during the call (no dynamic authorizer was asked), it is answered in this same turn. */
function publish(session: InternalSession, { topic, args, kwargs, options }: Publication, exchange: BridgeExchange, acknowledgeWithinMs: number): BridgeReply | Promise<BridgeReply> {
  let acknowledged: number | Promise<number>;
  try {
    acknowledged = session.publishAcknowledgedNowOrLater(topic, args, kwargs, options);
  } catch (error) {
    return publishFailed(error);
  }
  if (typeof acknowledged === 'number') return accepted(acknowledged);
  return exchange.within(acknowledged, acknowledgeWithinMs, 'the router did not acknowledge the publication').then(accepted, publishFailed);
}

/** The fields a publication's JSON body may have. */
export const publishBodyFields = ['topic', 'args', 'kwargs', 'options'] as const;

/**
 * HTTP publisher (Crossbar's `publisher` path service): POST {topic, args?, kwargs?, options?}
 * publishes as the service's role, authorization applied, and answers 200 {"id": publication}.
 */
export const httpPublisher: PathServiceFactory<PublisherService> = async (service, context) => {
  const rules = realmUriRules(context, service.realm);
  const bridge = new BridgeSession(() => context.joinBridgeSession(service.realm, service.role, 'http-publisher'),
    () => context.state() === 'stopping', service.realm, context.log);
  await bridge.start(context.where);
  const acknowledgeWithinMs = context.config.signIn.dynamicTimeoutMs + acknowledgeMarginMs;

  return bridgeHandler(context, {
    kind: 'publisher',
    limits: service.options,
    signature: service.options.signature,
    readsJson: true,
    close: () => bridge.close(),
    process(body, exchange): BridgeReply | Promise<BridgeReply> {
      const fields = parseJsonObject(body, publishBodyFields, context.config.maxNestingDepth);
      const topic = readUri(fields, 'topic', rules);
      const args = readArgs(fields);
      const kwargs = readKwargs(fields);
      const options = readPublishOptions(readOptions(fields, publishOptionNames));
      const publication: Publication = { topic, args, kwargs: Object.keys(kwargs).length > 0 ? kwargs : undefined, options };
      const session = bridge.live();
      if (session) return publish(session, publication, exchange, acknowledgeWithinMs);
      return bridge.get().then((joined) => publish(joined, publication, exchange, acknowledgeWithinMs));
    },
  });
};
