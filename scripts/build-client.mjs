#!/usr/bin/env node
// Builds the client's browser bundles with esbuild into dist/browser/:
//   junction-client.min.js       JSON only (the small one)
//   junction-client.full.min.js  JSON, MessagePack and CBOR
//   chunks/                      code loaded on demand (auth methods, Argon2id, SASLprep, long-poll)
// All are ESM, minified, built for the browser platform from the browser entries, which never
// import `ws` or node:crypto. The build fails if a Node built-in still slips into a bundle.
// Source maps are written beside each file (.map) but not linked from it: the link comment would
// be served with every copy, and counts against the size budget; load the map in devtools.
// Prints each entry's and each chunk's minified and gzipped size, and writes them to sizes.json,
// with the files each entry loads up front (test/client/bundle.test.ts measures them again).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { browserBundle, clientCode } from './browser-build.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'browser');

export const bundles = [
  { entry: 'src/client/browser-json.ts', name: 'junction-client.min' },
  { entry: 'src/client/browser.ts', name: 'junction-client.full.min' },
];

// SASLprep for a SCRAM authid beyond printable ASCII: @mongodb-js/saslprep is CommonJS and uses
// Node's global Buffer, which pages lack. It is built apart, with the `buffer` package's Buffer,
// into one self-contained ESM chunk that the SCRAM chunk beside it imports on demand: were it
// bundled with the rest, esbuild's CommonJS helper would become a shared chunk that every page
// loads up front.
const saslprepChunk = 'chunks/saslprep.js';
const bufferUsers = /[\\/]node_modules[\\/](?:@mongodb-js[\\/]saslprep|sparse-bitfield|memory-pager)[\\/].*\.js$/;
await build({
  stdin: { contents: "export { saslprep } from '@mongodb-js/saslprep';", resolveDir: root },
  outfile: join(outdir, saslprepChunk),
  ...browserBundle,
  plugins: [{
    name: 'buffer-for-saslprep',
    setup(build) {
      build.onLoad({ filter: bufferUsers }, (args) => ({ contents: `var Buffer = require('buffer').Buffer;\n${readFileSync(args.path, 'utf8')}`, loader: 'js' }));
    },
  }],
});
const saslprepApart = {
  name: 'saslprep-apart',
  setup(build) {
    build.onResolve({ filter: /^@mongodb-js\/saslprep$/ }, () => ({ path: './saslprep.js', external: true }));
  },
};

const nodeBuiltins = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`)]);

mkdirSync(outdir, { recursive: true });
const sizes = {};
for (const { entry, name } of bundles) {
  // One build per entry, so each entry file holds all of its eagerly needed code by itself.
  const result = await build({
    entryPoints: { [name]: join(root, entry) },
    absWorkingDir: root, // the metafile's paths are relative to it
    outdir,
    ...browserBundle,
    ...clientCode,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    sourcemap: 'external',
    metafile: true,
    plugins: [saslprepApart],
  });
  const imports = Object.values(result.metafile.inputs).flatMap((input) => input.imports.map((imported) => imported.path));
  const leaked = imports.filter((path) => nodeBuiltins.has(path) || path === 'ws');
  if (leaked.length > 0) {
    console.error(`${name}: Node-only modules reached the browser bundle: ${[...new Set(leaked)].join(', ')}`);
    process.exit(1);
  }
  // An entry's size counts every chunk it imports statically; chunks it only import()s are listed apart.
  const outputs = result.metafile.outputs;
  const entryPath = Object.keys(outputs).find((path) => path.endsWith(`/${name}.js`));
  const eager = new Set([entryPath]);
  const lazy = new Set();
  for (const path of eager) {
    for (const imported of outputs[path].imports) {
      if (imported.kind === 'import-statement') eager.add(imported.path);
      else if (imported.kind === 'dynamic-import') lazy.add(imported.path);
    }
  }
  // The SASLprep chunk, built apart, is the one external import; it imports nothing.
  const saslprepPath = relative(root, join(outdir, saslprepChunk));
  for (const path of lazy) {
    for (const imported of outputs[path]?.imports ?? []) if (!eager.has(imported.path)) lazy.add(imported.external ? saslprepPath : imported.path);
  }
  const total = (paths) => {
    const code = Buffer.concat([...paths].map((path) => readFileSync(join(root, path))));
    return { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length };
  };
  for (const path of eager) lazy.delete(path);
  const entryFile = `${name}.js`;
  sizes[entryFile] = { ...total(eager), files: [...eager].map((path) => relative(outdir, join(root, path))), onDemand: total(lazy) };
  const { minified, gzipped, onDemand } = sizes[entryFile];
  console.log(`${entryFile}: ${minified} bytes minified, ${gzipped} bytes gzipped (${eager.size} file(s) loaded up front)`);
  console.log(`  + loaded on demand (auth methods, long-poll, Argon2id, SASLprep): ${onDemand.minified} bytes minified, ${onDemand.gzipped} bytes gzipped`);
}
writeFileSync(join(outdir, 'sizes.json'), JSON.stringify(sizes, null, 2) + '\n');
await import('./build-console.mjs'); // the web console's page (dist/console)
