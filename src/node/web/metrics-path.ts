import type { MetricsService } from '../../config/model.js';
import { methodAllowed, sendBody } from './http-reply.js';
import type { PathServiceFactory } from './service-context.js';

/** The node's counters and gauges in Prometheus' text exposition format. */
export const metricsPath: PathServiceFactory<MetricsService> = (_service, context) => ({
  request: (request, response) => {
    if (!methodAllowed(request, response)) return;
    sendBody(response, 200, {
      'content-type': 'text/plain; version=0.0.4; charset=utf-8',
      'cache-control': 'no-store',
    }, context.metrics.exposition());
  },
});
