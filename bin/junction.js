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
