import type { OutgoingHttpHeaders } from 'node:http';
import type { JsonService } from '../../config/model.js';
import { methodAllowed, sendBody } from './http-reply.js';
import type { PathServiceFactory } from './service-context.js';

/** A fixed JSON value answered to GET (Crossbar's `json` web service); encoded once, at start-up. */
export const jsonValuePath: PathServiceFactory<JsonService> = (service) => {
  const body = Buffer.from(JSON.stringify(service.value, null, service.prettify ? 2 : undefined) ?? 'null');
  const headers: OutgoingHttpHeaders = { 'content-type': 'application/json; charset=utf-8' };
  if (service.allowCrossOrigin) headers['access-control-allow-origin'] = '*';
  if (service.discourageCaching) headers['cache-control'] = 'no-store';
  return {
    request: (request, response) => {
      if (methodAllowed(request, response)) sendBody(response, 200, headers, body);
    },
  };
};
