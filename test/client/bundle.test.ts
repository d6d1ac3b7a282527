/** The size budget of the JSON-only browser bundle, and what each browser bundle may contain. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const sizesFile = join(root, 'dist', 'browser', 'sizes.json');

describe('client browser bundles', () => {
  // `npm run build` writes them; build them here when this file runs on its own.
  if (!existsSync(sizesFile)) execFileSync(process.execPath, [join(root, 'scripts', 'build-client.mjs')]);
  const sizes = JSON.parse(readFileSync(sizesFile, 'utf8')) as Record<string, { minified: number; gzipped: number }>;

  it('keeps the JSON-only bundle within 8 KB minified and gzipped', () => {
    const { gzipped } = sizes['junction-client.min.js']!;
    assert.ok(gzipped <= 8192, `junction-client.min.js is ${gzipped} bytes gzipped, over the 8192-byte budget`);
  });

  it('ships no Node-only code and no msgpack/cbor in the JSON-only bundle', () => {
    const small = readFileSync(join(root, 'dist', 'browser', 'junction-client.min.js'), 'utf8');
    const full = readFileSync(join(root, 'dist', 'browser', 'junction-client.full.min.js'), 'utf8');
    for (const code of [small, full]) assert.doesNotMatch(code, /from\s*"(node:|ws"|crypto")|require\(/);
    assert.doesNotMatch(small, /wamp\.2\.msgpack|wamp\.2\.cbor/);
    assert.match(full, /wamp\.2\.msgpack/);
    assert.match(full, /wamp\.2\.cbor/);
  });
});
