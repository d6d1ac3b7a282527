import { type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { spawnOwned } from './processes.js';

/**
 * A process that passes for a running Junction where the pid-file code looks (a word of its
 * command line is "junction"), without starting a router: for what `stop` and `status` do to the
 * process a pid file names. It says "ready" once its SIGTERM handler is in place; with
 * `ignoreTerm` it lives on after SIGTERM (only SIGKILL ends it).
 */
export async function standInJunction(options: { ignoreTerm?: boolean; name?: string } = {}): Promise<ChildProcess & { pid: number }> {
  const onTerm = options.ignoreTerm ? '() => {}' : '() => process.exit(0)';
  const script = `process.on('SIGTERM', ${onTerm}); setInterval(() => {}, 1000); console.log('ready');`;
  const child = spawnOwned(process.execPath, ['-e', script, options.name ?? 'junction'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await once(child.stdout!, 'data');
  return child as ChildProcess & { pid: number };
}
