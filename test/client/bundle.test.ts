/** The size budget of the JSON-only browser bundle, and what each browser bundle may contain. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { checkUri } from '../../src/client/errors.js';
import { isValidUri } from '../../src/protocol/uri.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const bundleDir = join(root, 'dist', 'browser');
const sizesFile = join(bundleDir, 'sizes.json');
const budget = 8192;

interface Size {
  minified: number;
  gzipped: number;
  /** The files the entry loads up front, relative to dist/browser/. */
  files: string[];
}

describe('client browser bundles', () => {
  // `npm run build` writes them; build them here when this file runs on its own.
  if (!existsSync(sizesFile)) execFileSync(process.execPath, [join(root, 'scripts', 'build-client.mjs')]);
  const sizes = JSON.parse(readFileSync(sizesFile, 'utf8')) as Record<string, Size>;

  it('keeps the JSON-only bundle within 8 KB minified and gzipped', () => {
    const { gzipped, files } = sizes['junction-client.min.js']!;
    // The build's own measurement (zlib level 9 over every file loaded up front), taken again
    // from the files as served, so a stale sizes.json cannot pass for the real size.
    const served = Buffer.concat(files.map((file) => readFileSync(join(bundleDir, file))));
    assert.equal(gzipSync(served, { level: 9 }).length, gzipped, 'sizes.json does not match dist/browser/: rebuild');
    assert.ok(gzipped <= budget, `junction-client.min.js is ${gzipped} bytes gzipped, ${gzipped - budget} over the ${budget}-byte budget`);
  });

  it('ships no Node-only code and no msgpack/cbor in the JSON-only bundle', () => {
    const small = readFileSync(join(bundleDir, 'junction-client.min.js'), 'utf8');
    const full = readFileSync(join(bundleDir, 'junction-client.full.min.js'), 'utf8');
    for (const code of [small, full]) assert.doesNotMatch(code, /from\s*"(node:|ws"|crypto")|require\(/);
    assert.doesNotMatch(small, /wamp\.2\.msgpack|wamp\.2\.cbor/);
    assert.match(full, /wamp\.2\.msgpack/);
    assert.match(full, /wamp\.2\.cbor/);
  });

  it("keeps the client's copy of the loose URI rules (kept out of the protocol module for size) in step with the protocol", () => {
    const uris = ['com', 'com.myapp.topic1', 'com.MyApp.Topic-1', 'wamp.error.not_authorized', 'a.b c', 'a#b', 'com..x', '.com', 'com.', '..', '.', '', 'com.\tx', 'ünï.cødé'];
    for (const pattern of [false, true]) {
      for (const uri of uris) {
        const accepted = (() => {
          try {
            checkUri('test', uri, pattern);
            return true;
          } catch {
            return false;
          }
        })();
        assert.equal(accepted, isValidUri(uri, { strict: false, allowEmptyComponents: pattern }), `${JSON.stringify(uri)} as ${pattern ? 'a pattern' : 'a URI'}`);
      }
    }
  });
});
