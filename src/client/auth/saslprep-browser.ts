/**
 * What the browser bundles have instead of @mongodb-js/saslprep (scripts/build-client.mjs swaps
 * it in): that library's Unicode tables need Node's Buffer, which pages lack. Only a SCRAM authid
 * beyond printable ASCII needs SASLprep.
 */
export function saslprep(): never {
  throw new Error('the browser bundles cannot apply it to an authid beyond printable ASCII; use such an authid, or the client in Node');
}
