import type { RedirectService } from '../../config/model.js';
import { sendBody } from './http-reply.js';
import type { PathServiceFactory } from './service-context.js';

/** Any request to this path is sent on to `url` with the configured status (Crossbar's `redirect`). */
export const redirectPath: PathServiceFactory<RedirectService> = (service) => {
  const headers = { location: service.url, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' };
  const body = `Moved to ${service.url}\n`;
  return {
    request: (_request, response) => sendBody(response, service.status, headers, body),
  };
};
