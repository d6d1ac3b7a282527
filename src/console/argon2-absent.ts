/**
 * What the console's bundle has instead of hash-wasm (scripts/build-console.mjs swaps it in): the
 * console does not sign in with WAMP-SCRAM, and Argon2id's WebAssembly would cost it a fifth of
 * its size budget.
 */
export function argon2id(): never {
  throw new Error('the console does not sign in with WAMP-SCRAM');
}
