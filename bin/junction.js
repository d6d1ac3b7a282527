#!/usr/bin/env node
// The `junction` command. The TypeScript sources are compiled to dist/ by `npm install` (prepare).
// A reader that stops early (`junction schema | head`) closes the pipe: the command's output is no
// longer wanted, so end quietly as Unix tools do, rather than with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
}
let main;
try {
  // `start` takes SIGHUP (a reload) before loading its modules: Node's default would end a router
  // that is asked to reload while it starts (src/node/hangups.ts).
  if (process.argv[2] === 'start') (await import('../dist/src/node/hangups.js')).takeHangups();
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
