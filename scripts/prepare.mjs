#!/usr/bin/env node
// The package's `prepare` script. In a source checkout (tsconfig.json beside package.json) it
// builds dist/; for `npm pack` and `npm publish` it first empties dist/, so no output of a
// deleted source file is shipped. In an installed package it does nothing: dist/ is shipped
// and the compiler, a devDependency, is not there.
import { execSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (existsSync(join(root, 'tsconfig.json'))) {
  if (['pack', 'publish'].includes(process.env.npm_command ?? '')) rmSync(join(root, 'dist'), { recursive: true, force: true });
  execSync('npm run build', { cwd: root, stdio: 'inherit' });
}
