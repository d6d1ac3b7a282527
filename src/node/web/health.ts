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
    const state = context.state();
    const backplane = context.router.backplane;
    // Cut off from the other nodes (or its forwarders from their feeds), a node still serves its own clients: degraded, not down.
    const degraded = state === 'serving' ? backplane?.degraded ?? context.feeds?.degraded : undefined;
    const body = backplane === undefined ? { status: state }
      : degraded === undefined ? { status: state, node: backplane.nodeId }
      : { status: 'degraded', node: backplane.nodeId, reason: degraded };
    sendBody(response, state === 'serving' ? 200 : 503, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
    }, JSON.stringify(body));
  },
});
