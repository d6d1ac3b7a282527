/**
 * Guest workers as Junction runs them: Crossbar's defaults applied and its paths resolved as
 * Crossbar resolves them (src/crossbar/node/controller.py, `_start_guest_worker`): `workdir`
 * against the config folder (Crossbar's cbdir), watched folders against the config folder too.
 * The executable is resolved when the guest starts: the files may change in between.
 */

import { resolve } from 'node:path';
import type { ConfigFile } from './file-schema.js';
import type { GuestConfig } from './model.js';
import { formatPath } from './problems.js';
import type { GuestWorkerFile } from './schema-guest.js';

export function guestConfigs(file: ConfigFile, baseDir: string = process.cwd()): GuestConfig[] {
  // Crossbar names a worker without an id "worker001", "worker002"... in file order, every worker type counted.
  let unnamed = 0;
  return file.workers.flatMap((worker, index) => {
    const id = worker.id ?? `worker${String(++unnamed).padStart(3, '0')}`;
    return worker.type === 'guest' ? [guestConfig(worker, id, formatPath(['workers', index]), baseDir)] : [];
  });
}

function guestConfig(guest: GuestWorkerFile, id: string, at: string, baseDir: string): GuestConfig {
  const options = guest.options;
  const stdin = options.stdin;
  return {
    id,
    at,
    executable: guest.executable,
    arguments: guest.arguments,
    workdir: resolve(baseDir, options.workdir ?? '.'),
    env: { inherit: options.env.inherit, vars: options.env.vars },
    stdin: stdin === undefined ? { kind: 'open' } : stdin === 'close' ? { kind: 'close' } : { kind: 'json', text: JSON.stringify(stdin.value), close: stdin.close },
    stdout: options.stdout,
    stderr: options.stderr,
    ...(options.watch && {
      watch: {
        directories: options.watch.directories.map((directory) => resolve(baseDir, directory)),
        restart: options.watch.action === 'restart',
        delayMs: Math.round(options.watch.timeout * 1000),
      },
    }),
    maxLineBytes: options.max_line_bytes,
    linesPerSecond: options.log_lines_per_second,
  };
}
