import { accessSync, constants, existsSync, statSync } from 'node:fs';
import type { ArchiveService, ListenerConfig, StaticService } from '../../config/model.js';
import { pathWhere } from './path-where.js';

// Here rather than in the path services' modules: `junction check` and a reload's answer read the
// files a configuration names without loading what serves them (archive-path.ts loads the ZIP
// reader and the downloader).

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

/** What an archive path says of its file, at start (archive-path.ts) and here. */
export const archiveTexts = {
  notDownloaded: (archive: string, where: string) =>
    `${where}: the archive ${archive} does not exist and "download" is false; every request gets 404 until it is put there and the config reloaded`,
  noOrigin: (archive: string) => `the archive ${archive} does not exist, and there is no "origin" to download it from`,
  notAFile: (archive: string) => `the archive ${archive} is not a file`,
  unusable: (archive: string, error: NodeJS.ErrnoException) => `the archive ${archive} cannot be used (${error.code ?? error.message})`,
};

/**
 * What start would say of the archive file as it is now (a missing one that is not to be
 * downloaded is served as 404; start refuses one it cannot read), or undefined.
 */
function archiveFileWarning(service: ArchiveService, where: string): string | undefined {
  try {
    if (!statSync(service.archive).isFile()) return `${where}: ${archiveTexts.notAFile(service.archive)}; start refuses the path`;
    accessSync(service.archive, constants.R_OK);
    return undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return `${where}: ${archiveTexts.unusable(service.archive, error as NodeJS.ErrnoException)}; start refuses the path`;
    if (service.origin === undefined) return `${where}: ${archiveTexts.noOrigin(service.archive)}; start refuses the path until it is there`;
    return service.download ? undefined : archiveTexts.notDownloaded(service.archive, where);
  }
}

/** What the log at start and `junction check` say of a static directory that is not there. */
export function missingDirectoryText(where: string, directory: string): string {
  return `${where}: the static directory ${directory} does not exist; requests get 404 until it does`;
}

/** The warning start gives for this static path's directory if it does not exist now. */
function staticDirectoryWarning(service: StaticService, where: string): string | undefined {
  // A package's folder is only known once its Python has looked: at start.
  return typeof service.directory === 'string' && !existsSync(service.directory) ? missingDirectoryText(where, service.directory) : undefined;
}

/** The warning for a CGI directory that scripts cannot be found in now (start logs it, `junction check` prints it), or undefined. */
export function cgiDirectoryWarning(directory: string, where: string): string | undefined {
  try {
    if (!statSync(directory).isDirectory()) return `${where}: the CGI directory ${directory} is not a directory; requests get 404 until it is`;
    accessSync(directory, constants.R_OK | constants.X_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return `${where}: the CGI directory ${directory} does not exist; requests get 404 until it does`;
    return `${where}: the CGI directory ${directory} cannot be read (${code}); requests get 500 until it can`;
  }
}
