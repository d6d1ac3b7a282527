/**
 * The node controller's options (Crossbar's `controller.options`): its shutdown triggers are
 * read, as Crossbar's checkconfig.py checks them; its other options are Crossbar process
 * settings, ignored with a notice each.
 */

import * as z from 'zod';
import { ignored } from './schema-parts.js';

/** Crossbar's node shutdown modes (checkconfig.py NODE_SHUTDOWN_MODES), in its order. */
export const nodeShutdownTriggers = [
  'shutdown_on_shutdown_requested',
  'shutdown_on_worker_exit',
  'shutdown_on_worker_exit_with_error',
  'shutdown_on_last_worker_exit',
] as const;

export type NodeShutdownTrigger = (typeof nodeShutdownTriggers)[number];

const permissible = nodeShutdownTriggers.map((mode) => `'${mode}'`).join(', ');

const shutdownMode = z.enum(nodeShutdownTriggers, {
  error: (issue) => `invalid shutdown mode ${JSON.stringify(issue.input)} (permissible values: ${permissible})`,
});

export const controllerOptionsSchema = z
  .object({
    shutdown: z
      // Crossbar takes one mode as a string too.
      .preprocess((value) => (typeof value === 'string' ? [value] : value), z.array(shutdownMode, { error: 'expected a list of shutdown modes' }))
      .default(['shutdown_on_worker_exit'])
      .describe(`When the node stops by itself: ${permissible}. As Crossbar's standalone node, it stops when any guest or container worker exits.`),
  })
  .catchall(ignored('a node controller option (process title, ...)'))
  .prefault({})
  .describe("The node controller's options: its shutdown triggers; its other options are ignored.");
