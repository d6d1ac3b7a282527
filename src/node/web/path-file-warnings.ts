import type { ListenerConfig } from '../../config/model.js';
import { archiveFileWarning } from './archive-path.js';
import { cgiDirectoryWarning } from './cgi/cgi-path.js';
import { pathWhere } from './path-where.js';
import { staticDirectoryWarning } from './static.js';

/**
 * What start (or a reload that builds the path) would warn of the files and folders these
 * listeners' paths name, checked now: a static or CGI directory, an archive file. For
 * `junction check` and a reload's answer; the paths themselves log the same words.
 */
export function pathFileWarnings(listeners: readonly ListenerConfig[]): string[] {
  return listeners.flatMap((listener) => Object.entries(listener.paths).flatMap(([path, service]) => {
    const where = pathWhere(listener, path);
    const warning = service.type === 'static' ? staticDirectoryWarning(service, where)
      : service.type === 'cgi' ? cgiDirectoryWarning(service.directory, where)
      : service.type === 'archive' ? archiveFileWarning(service, where)
      : undefined;
    return warning === undefined ? [] : [warning];
  }));
}
