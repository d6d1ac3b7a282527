#!/usr/bin/env node
// Builds the web console (src/console) with esbuild into dist/console/: index.html, app.js and
// app.css, each one file, minified, with no runtime dependency on anything outside them (no CDN:
// the console works offline and under its strict Content-Security-Policy). Writes sizes.json with
// the gzipped total that test/console/budget.test.ts holds to the budget.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { browserBundle, clientCode } from './browser-build.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'console');
mkdirSync(outdir, { recursive: true });

await build({
  entryPoints: { app: join(root, 'src/console/main.ts') },
  absWorkingDir: root,
  outdir,
  ...browserBundle,
  ...clientCode,
  // The client it bundles could sign in with WAMP-SCRAM, which the console does not offer.
  alias: { 'hash-wasm': './src/console/scram-absent.ts', '@mongodb-js/saslprep': './src/console/scram-absent.ts' },
});
await build({
  entryPoints: { app: join(root, 'src/console/app.css') },
  absWorkingDir: root,
  outdir,
  bundle: true,
  minify: true,
  logLevel: 'warning',
});
copyFileSync(join(root, 'src/console/index.html'), join(outdir, 'index.html'));

const files = ['index.html', 'app.js', 'app.css'];
const sizes = Object.fromEntries(files.map((file) => {
  const code = readFileSync(join(outdir, file));
  return [file, { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length }];
}));
const total = Object.values(sizes).reduce((sum, size) => sum + size.gzipped, 0);
writeFileSync(join(outdir, 'sizes.json'), JSON.stringify({ files: sizes, gzipped: total }, null, 2) + '\n');
console.log(`console: ${total} bytes gzipped (${files.map((file) => `${file} ${sizes[file].gzipped}`).join(', ')})`);
