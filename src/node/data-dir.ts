/**
 * The data folder (`junction start --data-dir`), where durable state lives: the outboxes of HTTP
 * forwarders and Pusher webhooks. Creating it must fail at once with a reason, never hang: Node's
 * recursive mkdir retries forever on a path it cannot create under /proc.
 */

import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { StartupError } from './startup-errors.js';

/** Why a folder cannot be made, by errno code. */
const reasons: Record<string, string> = {
  ENOENT: 'its parent folder cannot hold folders (a virtual file system such as /proc?)',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  EEXIST: 'a file is in the way',
  ENOTDIR: 'a file is in the way',
  ENOSPC: 'no space left on the device',
};

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Creates `directory` and its missing parents one level at a time (each mkdir either makes the
 * folder or fails with its errno), or throws a StartupError `data_dir_unusable` that names the
 * folder, the reason and --data-dir.
 */
export function makeDataDirectory(directory: string): void {
  const missing: string[] = [];
  for (let path = resolve(directory); !isDirectory(path); path = dirname(path)) {
    missing.push(path);
    if (dirname(path) === path) break;
  }
  for (const path of missing.reverse()) {
    try {
      mkdirSync(path);
    } catch (error) {
      // Another process (a second node starting) may have made it meanwhile.
      if (isDirectory(path)) continue;
      const code = (error as NodeJS.ErrnoException).code ?? '';
      const step = path === resolve(directory) ? '' : ` (on the way to ${directory})`;
      throw new StartupError('data_dir_unusable',
        `cannot create the folder ${path}${step} for durable state: ${reasons[code] ?? code}; ` +
        'choose a writable data folder with --data-dir (default: a ".junction" folder beside the config file)');
    }
  }
}
