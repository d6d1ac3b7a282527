import type { PackageResource } from '../../config/model.js';
import { UnsupportedConfigError } from '../auth-wiring.js';
import { packageResourceFolder } from '../workers/package-resource.js';
import type { ServiceContext } from './service-context.js';

/**
 * A path's folder as the file gives it: a folder, or a Python package's `resource` (static files,
 * wap templates), found now. A package that cannot be imported stops the start (or the reload of
 * this transport), as it fails Crossbar's transport; `what` names the folder in that error.
 */
export async function folderOf(folder: string | PackageResource, context: ServiceContext, what: string): Promise<string> {
  if (typeof folder === 'string') return folder;
  const found = await packageResourceFolder(folder, `${what}:${context.listener.id}:${context.path}`);
  if (typeof found !== 'string') {
    throw new UnsupportedConfigError(`${context.where}: the ${what} folder "${folder.resource}" of Python package "${folder.package}" cannot be used: ${found.reason}`);
  }
  context.log.info({ package: folder.package, resource: folder.resource, directory: found }, `${what} folder of a Python package found`);
  return found;
}
