/**
 * How deeply a decoded message nests lists and dicts. Decoders accept any depth, but every
 * encoder recurses, so a small message nested thousands of levels deep would overflow the stack
 * when the router re-encodes it for a subscriber or callee. Transports refuse messages deeper
 * than the router's `max_nesting_depth` right after decoding them.
 */

/** The router's default limit: far beyond what application payloads use, far below what any encoder survives. */
export const DEFAULT_MAX_NESTING_DEPTH = 100;

/**
 * Whether `value` nests lists and dicts more than `limit` levels deep (the message's own list is
 * level 1, its args list level 2). An iterative walk: it cannot overflow the stack itself.
 * `sizeHint` is the frame's length: each level takes at least one byte or character, so a frame
 * no longer than the limit cannot exceed it and is not walked.
 */
export function nestsDeeperThan(value: unknown, limit: number, sizeHint = Infinity): boolean {
  if (sizeHint <= limit || !isContainer(value)) return false;
  const pending: unknown[] = [value];
  const depths: number[] = [1];
  while (pending.length > 0) {
    const node = pending.pop()!;
    const depth = depths.pop()!;
    if (depth > limit) return true;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const item = node[i];
        if (isContainer(item)) {
          pending.push(item);
          depths.push(depth + 1);
        }
      }
    } else {
      const dict = node as Record<string, unknown>;
      for (const key in dict) {
        const item = dict[key];
        if (isContainer(item)) {
          pending.push(item);
          depths.push(depth + 1);
        }
      }
    }
  }
  return false;
}

/** Lists and dicts; bytes (typed arrays) are leaves. */
function isContainer(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !ArrayBuffer.isView(value);
}

/** The refusal every door gives, naming the limit and the setting that raises it. */
export function tooDeepMessage(limit: number): string {
  return `the message nests lists and dicts more than ${limit} levels deep (the router's max_nesting_depth)`;
}
