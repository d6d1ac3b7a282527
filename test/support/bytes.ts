/** Node's decoders hand out Buffers; tests compare bytes as plain Uint8Arrays, recursively. */
export function plainBytes(value: unknown): unknown {
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (Array.isArray(value)) return value.map(plainBytes);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, plainBytes(item)]));
  }
  return value;
}
