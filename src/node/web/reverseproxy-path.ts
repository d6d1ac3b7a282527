import type { ReverseProxyService } from '../../config/model.js';
import { forwardingHandler } from './http-forward.js';
import type { PathServiceFactory } from './service-context.js';

/**
 * Crossbar's `reverseproxy`: this path and below it forwarded to an HTTP server, with the Host
 * header Crossbar sends it (its host, and its port unless 80).
 */
export const reverseProxyPath: PathServiceFactory<ReverseProxyService> = (service, context) => {
  const authority = service.port === 80 ? service.host : `${service.host}:${service.port}`;
  return forwardingHandler(context, {
    service: 'reverseproxy',
    target: { origin: `http://${service.host}:${service.port}`, host: authority, pathPrefix: service.path },
    limits: service.options,
    unreachable: (error) => `the server at ${authority} cannot be reached (${(error as NodeJS.ErrnoException).code ?? error.message})`,
  });
};
