import { lstat, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { UnsupportedConfigError } from './auth-wiring.js';

/** The file of a Unix socket the node listens on (a rawsocket transport, the control socket). */

/**
 * A socket file left behind by a process that died is removed; a file that is not a socket, or a
 * socket another process still listens on, is an error (never someone else's file or server).
 */
export async function removeStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = (await lstat(path)).isSocket();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (!isSocket) throw new UnsupportedConfigError(`${path} exists and is not a Unix socket; it is not replaced`);
  if (await someoneListens(path)) throw new UnsupportedConfigError(`another process is listening on the Unix socket ${path}`);
  await unlink(path);
}

export async function removeSocketFile(path: string): Promise<void> {
  try {
    if ((await lstat(path)).isSocket()) await unlink(path);
  } catch {
    // already gone (Node removes it when the server closes)
  }
}

function someoneListens(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect({ path });
    const timer = setTimeout(() => finish(true), 1_000); // a listener too busy to accept still owns the path
    const finish = (listening: boolean): void => {
      clearTimeout(timer);
      probe.destroy();
      resolve(listening);
    };
    probe.once('connect', () => finish(true));
    probe.once('error', () => finish(false));
  });
}
