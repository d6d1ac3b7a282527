/**
 * A count with its noun, singular for exactly one: "1 stream", "2 streams". Limits can be set to 1,
 * and a refusal that says "holds 1 streams" reads as a bug. Used by every layer, so it lives at the bottom.
 */
export function plural(count: number, noun: string, pluralNoun = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : pluralNoun}`;
}
