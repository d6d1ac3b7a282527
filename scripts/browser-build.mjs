// The esbuild options our browser bundles share (build-client.mjs, build-console.mjs).

/** A bundle for the browsers we support: one ESM file, minified, no license comments. */
export const browserBundle = {
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
};

/** How the client's TypeScript is compiled for a page, wherever it is bundled (the console bundles it too). */
export const clientCode = {
  // Parameter properties become plain assignments instead of an assignment plus a field
  // declaration repeating each name; no client class relies on define semantics.
  tsconfigRaw: { compilerOptions: { useDefineForClassFields: false } },
  // Pages have no Buffer: drops the Node fast path of the JSON codec's base64 (btoa/atob remain).
  define: { 'globalThis.Buffer': 'undefined' },
};
