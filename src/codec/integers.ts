/**
 * Integers in decoded messages: numbers up to ±2^53 (every WAMP ID, every integer JavaScript
 * holds exactly), BigInt beyond (64-bit integers and bignums, carried exactly). msgpackr's
 * int64AsType 'auto' decodes by this rule itself; cbor-x decodes every 64-bit integer and bignum
 * as BigInt, which `narrowSmallBigInts` then brings to the rule.
 */

const LARGEST_NUMBER_INTEGER = 2n ** 53n;

/** Replaces BigInts within ±2^53 by numbers, in place (the decoded value is ours). An iterative walk. */
export function narrowSmallBigInts(root: unknown): unknown {
  if (typeof root === 'bigint') return narrow(root);
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const node = pending.pop();
    if (node === null || typeof node !== 'object' || ArrayBuffer.isView(node)) continue;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const item: unknown = node[i];
        if (typeof item === 'bigint') node[i] = narrow(item);
        else if (typeof item === 'object') pending.push(item);
      }
    } else if (Object.getPrototypeOf(node) === Object.prototype) {
      const dict = node as Record<string, unknown>;
      for (const key in dict) {
        const item = dict[key];
        if (typeof item === 'bigint') dict[key] = narrow(item);
        else if (typeof item === 'object') pending.push(item);
      }
    }
  }
  return root;
}

function narrow(value: bigint): number | bigint {
  return value <= LARGEST_NUMBER_INTEGER && value >= -LARGEST_NUMBER_INTEGER ? Number(value) : value;
}
