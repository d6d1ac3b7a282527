/**
 * Every text a guest worker's supervisor says: the one-line errors that stop `junction start`
 * (each naming the key to change) and the log messages, worded here once.
 */

import type { GuestConfig } from '../../config/model.js';
import { StartupError } from '../startup-errors.js';

/** A guest that cannot be started as configured: `junction start` prints it and exits; a reload leaves the guests as they were. */
const notStartable = (message: string) => new StartupError('guest_not_startable', message);

export const guestErrors = {
  workdirUnusable: (guest: GuestConfig, reason: string) =>
    notStartable(`${guest.at}.options.workdir: guest "${guest.id}" cannot run in ${guest.workdir}: ${reason}`),
  notExecutable: (guest: GuestConfig, path: string) =>
    notStartable(`${guest.at}.executable: guest "${guest.id}": ${path} is not executable (make it so with chmod +x, or name its interpreter as executable and the script in arguments)`),
  notFound: (guest: GuestConfig, searched: string) =>
    notStartable(`${guest.at}.executable: guest "${guest.id}": "${guest.executable}" was not found ${searched}`),
};

/** Log messages, with the facts as fields beside them. */
export const guestLog = {
  started: 'guest worker started',
  nodeShutdown: 'a worker ended and a node shutdown trigger (controller.options.shutdown) fired: stopping the node',
  exitedCleanly: 'guest worker exited with success; it is not started again (as in Crossbar)',
  exitedWithError: 'guest worker exited with an error; it is not started again (as in Crossbar)',
  failedToStart: 'guest worker could not be started',
  stopping: 'stopping guest worker (SIGTERM)',
  killed: 'guest worker did not stop within the grace period: killed (SIGKILL)',
  stopped: 'guest worker stopped',
  watchChanged: 'a watched folder changed: stopping the guest worker',
  watchRestart: 'a watched folder changed: restarting the guest worker',
  watchFailed: 'a watched folder cannot be watched; changes there do not restart the guest worker',
  pythonUnavailable: 'the Python components of this worker are not run (the router runs without them)',
  lineTooLong: 'guest worker output lines longer than max_line_bytes were not logged',
  rateExceeded: 'guest worker output over log_lines_per_second was not logged',
} as const;

/** What a reload changed, one line each (the reload's `applied` list). */
export const guestChanges = {
  removed: (id: string) => `guest worker "${id}" stopped (removed from the file)`,
  restarted: (id: string) => `guest worker "${id}" restarted (its block changed)`,
  startedAgain: (id: string) => `guest worker "${id}" started again (it was not running)`,
  started: (id: string) => `guest worker "${id}" started`,
};
