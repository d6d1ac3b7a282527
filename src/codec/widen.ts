/**
 * msgpackr and cbor-x write integers beyond 32 bits as float64. WAMP IDs go up to 2^53 and peers
 * such as Autobahn|Python reject an ID that arrives as a float, so integers outside the 32-bit
 * range are handed to the encoders as BigInt, which they write as 64-bit integers.
 * Copy-on-write: containers are copied only where something changed. Recursive, at any depth: a
 * payload too deep for the stack fails the encode (EncodeError), never silently.
 */

// Number.isSafeInteger would be wrong here: 2^53 itself, the largest WAMP ID, is not "safe".
// Any integral double in the 64-bit range converts to BigInt exactly.
function needsWidening(value: number): boolean {
  return (value > 0xffffffff || value < -0x80000000) && Number.isInteger(value) && value < 2 ** 64 && value >= -(2 ** 63);
}

export function widenLargeIntegers(value: unknown): unknown {
  if (typeof value === 'number') return needsWidening(value) ? BigInt(value) : value;
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      const widened = widenLargeIntegers(item);
      if (widened !== item) {
        copy ??= value.slice();
        copy[i] = widened;
      }
    }
    return copy ?? value;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return value;
  let copy: Record<string, unknown> | undefined;
  const dict = value as Record<string, unknown>;
  for (const key in dict) {
    const item = dict[key];
    const widened = widenLargeIntegers(item);
    if (widened !== item) {
      copy ??= { ...dict };
      copy[key] = widened;
    }
  }
  return copy ?? value;
}
