import type { ResourceService, WsgiService } from '../../config/model.js';
import { PythonWebHost } from '../workers/python-web-host.js';
import { forwardingHandler } from './http-forward.js';
import type { PathServiceFactory } from './service-context.js';

/**
 * Crossbar's `wsgi` and `resource`: the app (a WSGI callable, a Twisted Web resource class) runs in
 * Junction's Python web host (a Python process of this path's own), and this path and below it
 * are forwarded to it whole, with the client's Host, so that the app sees the request as it would
 * in Crossbar's router worker.
 */
export const pythonAppPath: PathServiceFactory<WsgiService | ResourceService> = async (service, context) => {
  const host = await PythonWebHost.start(service, { id: `${service.type}:${context.listener.id}:${context.path}`, mount: context.path, log: context.log, metrics: context.metrics });
  return forwardingHandler(context, {
    service: service.type,
    target: { origin: 'http://localhost', socketPath: host.socketPath, host: undefined, pathPrefix: context.path === '/' ? '' : context.path },
    limits: service.options,
    unreachable: () => host.unreachable(),
    close: () => host.close(),
    stale: () => host.stopped(),
  });
};
