#!/usr/bin/env node
// The `junction` command. The TypeScript sources are compiled to dist/ by `npm install` (prepare).
let main;
try {
  ({ main } = await import('../dist/src/cli/main.js'));
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
  process.stderr.write('junction: dist/ is missing; run `npm install` (or `npm run build`) in the project first.\n');
  process.exit(1);
}
process.exitCode = await main(process.argv.slice(2));
// The command is done (`start`: the node has stopped and closed everything it opened). Timers a
// library left behind must not keep the process: ioredis's, for Redis Sentinel connections it could
// not reach, outlive disconnect() by up to 2 s. Unref'd, so a process with nothing left exits at
// once; otherwise output still being written gets this long.
const exitGraceMs = 200;
setTimeout(() => process.exit(), exitGraceMs).unref();
