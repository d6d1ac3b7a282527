import type { PublisherService } from '../../../config/model.js';
import { ErrorUri } from '../../../protocol/errors.js';
import { InternalCallError } from '../../../router/internal-session.js';
import type { PathServiceFactory } from '../service-context.js';
import { BridgeSession } from './bridge-session.js';
import { bridgeHandler, realmUriRules, wampErrorReply, type BridgeReply } from './bridge-service.js';
import { parseJsonObject, readArgs, readKwargs, readOptions, readUri } from './json-request.js';
import { publishOptionNames, readPublishOptions } from './publish-options.js';

/** A publication is acknowledged at once unless a dynamic authorizer is asked; past this, the client gets a 504. */
const acknowledgeMarginMs = 5_000;

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
    async process(body, exchange): Promise<BridgeReply> {
      const fields = parseJsonObject(body, ['topic', 'args', 'kwargs', 'options'], context.config.maxNestingDepth);
      const topic = readUri(fields, 'topic', rules);
      const args = readArgs(fields);
      const kwargs = readKwargs(fields);
      const options = readPublishOptions(readOptions(fields, publishOptionNames));
      const session = bridge.live() ?? (await bridge.get());
      try {
        const publishing = session.publishAcknowledged(topic, args, Object.keys(kwargs).length > 0 ? kwargs : undefined, options);
        const id = await exchange.within(publishing, acknowledgeWithinMs, 'the router did not acknowledge the publication');
        // {"id": n} written directly: a publication ID is an integer below 2^53, and the general
        // JSON writer was 2% of the router's busy time under a stream of POSTs.
        return { status: 200, jsonText: `{"id":${id}}`, outcome: 'accepted' };
      } catch (error) {
        if (!(error instanceof InternalCallError)) throw error;
        switch (error.uri) {
          case ErrorUri.notAuthorized: return wampErrorReply(error, 403, 'not_authorized');
          case ErrorUri.invalidUri: return wampErrorReply(error, 400, 'invalid_uri');
          case ErrorUri.invalidArgument: return wampErrorReply(error, 400, 'invalid_option');
          default: return wampErrorReply(error, 500, 'publish_failed');
        }
      }
    },
  });
};
