/**
 * About how many bytes a payload takes, roughly its JSON size: what retained events and event
 * history count against their byte limits. The router never encodes (DESIGN: no codec below the
 * transports), so it estimates from the decoded values: a string by its length, a byte array by
 * its length, a number as 8, containers by their parts plus punctuation. The walk is iterative,
 * so a deeply nested payload cannot overflow the stack, and it stops as soon as the total passes
 * `ceiling`: refusing a huge payload costs no more than walking up to the limit.
 */
export function payloadBytes(parts: readonly unknown[], ceiling = Number.POSITIVE_INFINITY): number {
  const pending: unknown[] = [...parts];
  let total = 0;
  while (pending.length > 0 && total <= ceiling) {
    const value = pending.pop();
    if (typeof value === 'string') total += value.length + 2;
    else if (value instanceof Uint8Array) total += value.byteLength;
    else if (Array.isArray(value)) {
      total += 2 + value.length;
      for (const item of value) pending.push(item);
    } else if (value instanceof Map) {
      total += 2;
      for (const [key, item] of value) pending.push(key, item);
    } else if (value !== null && typeof value === 'object') {
      total += 2;
      for (const key of Object.keys(value)) {
        total += key.length + 4;
        pending.push((value as Record<string, unknown>)[key]);
      }
    } else if (typeof value === 'bigint') total += value.toString().length;
    else total += value === undefined ? 0 : 8; // numbers, booleans, null
  }
  return total;
}
