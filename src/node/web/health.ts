import type { HealthService } from '../../config/model.js';
import { methodAllowed, sendBody } from './http-reply.js';
import type { PathServiceFactory } from './service-context.js';

/**
 * For load balancers: 200 {"status":"serving"} while the node serves, 503 with its state while it
 * is still starting or already shutting down, so traffic moves away before connections close.
 */
export const healthPath: PathServiceFactory<HealthService> = (_service, context) => ({
  request: (request, response) => {
    if (!methodAllowed(request, response)) return;
    const status = context.state();
    const node = context.router.nodeId;
    sendBody(response, status === 'serving' ? 200 : 503, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
    }, JSON.stringify(node === undefined ? { status } : { status, node }));
  },
});
