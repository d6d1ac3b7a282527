/**
 * Crossbar's `websocket-testee` workers, served by the node itself: each worker's transport is a
 * listener like a router's `websocket.testee` transport (one listener per endpoint: Crossbar's
 * shared port, the cross-checks made sure the transports on one are the same).
 */

import type { ConfigFile } from './file-schema.js';
import type { WorkerPython } from './model.js';
import type { TransportToListen } from './normalize-listeners.js';
import { notice } from './notices.js';
import type { ConfigPath } from './config-path.js';
import { openedBefore } from './shared-ports.js';

/** The testee workers' transports to listen on, in file order; a later one on an endpoint already opened is merged. */
export function testeeTransports(file: ConfigFile, python: WorkerPython, notices: string[]): TransportToListen[] {
  const opened = new Map<string, ConfigPath>();
  const result: TransportToListen[] = [];
  file.workers.forEach((worker, index) => {
    if (worker.type !== 'websocket-testee') return;
    const where: ConfigPath = ['workers', index, 'transport'];
    const first = openedBefore(opened, worker.transport.endpoint, where);
    if (first === undefined) result.push({ transport: { ...worker.transport, type: 'websocket.testee' }, where, python });
    else notices.push(notice('config.notice.testees_merged', where, first));
  });
  return result;
}
