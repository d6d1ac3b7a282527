/**
 * What the console's bundle has instead of hash-wasm and @mongodb-js/saslprep
 * (scripts/build-console.mjs swaps it in): the client it bundles could sign in with WAMP-SCRAM,
 * which the console does not offer, and those two would cost it a quarter of its size budget.
 */
const absent = (): never => {
  throw new Error('the console does not sign in with WAMP-SCRAM');
};
export { absent as argon2id, absent as saslprep };
