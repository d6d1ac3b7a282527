/**
 * hash-wasm's Argon2id alone: imported on demand through this module, so that a bundler keeps
 * hash-wasm's other hashes out (it cannot tree-shake a dynamic import of the package itself).
 */
export { argon2id } from 'hash-wasm';
