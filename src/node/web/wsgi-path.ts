import type { WsgiService } from '../../config/model.js';
import { WsgiHost } from '../workers/wsgi-host.js';
import { forwardingHandler } from './http-forward.js';
import type { PathServiceFactory } from './service-context.js';

/**
 * Crossbar's `wsgi`: the app runs in Junction's WSGI host (a Python process of this path's own),
 * and this path and below it are forwarded to it whole, with the client's Host, so that the app
 * sees the request as Crossbar's WSGIResource would show it.
 */
export const wsgiPath: PathServiceFactory<WsgiService> = async (service, context) => {
  const host = await WsgiHost.start(service, { id: `wsgi:${context.listener.id}:${context.path}`, mount: context.path, log: context.log, metrics: context.metrics });
  return forwardingHandler(context, {
    service: 'wsgi',
    target: { origin: 'http://localhost', socketPath: host.socketPath, host: undefined, pathPrefix: context.path === '/' ? '' : context.path },
    limits: service.options,
    unreachable: () => host.unreachable(),
    close: () => host.close(),
    stale: () => host.stopped(),
  });
};
