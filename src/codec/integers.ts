/**
 * Integers in decoded messages: numbers up to ±2^53 (every WAMP ID, every integer JavaScript
 * holds exactly), BigInt beyond (64-bit integers and bignums, carried exactly). msgpackr's
 * int64AsType 'auto' decodes by this rule itself; cbor-x decodes every 64-bit integer and bignum
 * as BigInt, which `narrowSmallBigInts` then brings to the rule. Both exact decodings cost more
 * than plain number decoding, so the codecs take them only for frames that may need them.
 */

/**
 * Whether a 64-bit integer after one of the `markers` octets may lie beyond ±2^53. Every
 * occurrence of a marker is looked at, so a frame judged narrow holds no wide integer; an octet
 * that is not really a marker (inside text, a length...) at worst sends the frame the exact way.
 * `signed`: two's complement (MessagePack int64); otherwise an unsigned magnitude.
 */
export function mayHoldWideInt64(frame: Uint8Array, marker: number, signed: boolean): boolean {
  for (let at = frame.indexOf(marker); at !== -1; at = frame.indexOf(marker, at + 1)) {
    const high = frame[at + 1] ?? 0;
    const next = frame[at + 2] ?? 0;
    // Within ±2^53: the top 11 bits are all 0 (or, negative in two's complement, all 1).
    const narrow = (high === 0 && next < 0x20) || (signed && high === 0xff && next >= 0xe0);
    if (!narrow) return true;
  }
  return false;
}

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
