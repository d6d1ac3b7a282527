/**
 * Crossbar's node shutdown triggers (controller.py, check_for_shutdown): when a worker ends by
 * itself, whether the node stops, and which trigger says so. Junction's workers in this sense are
 * its guest and container workers; its router is the node itself.
 */

import type { NodeShutdownTrigger } from '../../config/model.js';

/** `junction start`'s exit code after a trigger stopped the node: Crossbar's node counts that stop as not clean (main.py exits 1), so systemd's Restart=on-failure starts it again. */
export const triggeredStopExitCode = 1;

export interface WorkerEnd {
  /** It exited with code 0 (not by a signal, and not a program that could not be started). */
  successful: boolean;
  /** Guest and container workers still running after it. */
  stillRunning: number;
}

/** The trigger that stops the node, checked in Crossbar's order; undefined when the node keeps running. */
export function firedShutdownTrigger(triggers: readonly NodeShutdownTrigger[], end: WorkerEnd): NodeShutdownTrigger | undefined {
  if (triggers.includes('shutdown_on_worker_exit')) return 'shutdown_on_worker_exit';
  if (!end.successful && triggers.includes('shutdown_on_worker_exit_with_error')) return 'shutdown_on_worker_exit_with_error';
  if (end.stillRunning === 0 && triggers.includes('shutdown_on_last_worker_exit')) return 'shutdown_on_last_worker_exit';
  return undefined;
}
