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
 * `sizeHint`: the most levels the frame's length allows (each level takes at least one octet, or
 * two characters of JSON): a frame that cannot exceed the limit is not walked.
 */
export function nestsDeeperThan(value: unknown, limit: number, sizeHint = Infinity): boolean {
  if (sizeHint <= limit || !isContainer(value)) return false;
  // One stack for the whole process (the walk is synchronous): nothing allocated per message.
  pending.push(value);
  depths.push(1);
  let tooDeep = false;
  while (pending.length > 0 && !tooDeep) {
    const node = pending.pop()!;
    const depth = depths.pop()! + 1;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const item: unknown = node[i];
        if (isContainer(item)) {
          if (depth > limit) tooDeep = true;
          pending.push(item);
          depths.push(depth);
        }
      }
    } else {
      const dict = node as Record<string, unknown>;
      for (const key in dict) {
        const item = dict[key];
        if (isContainer(item)) {
          if (depth > limit) tooDeep = true;
          pending.push(item);
          depths.push(depth);
        }
      }
    }
  }
  pending.length = 0;
  depths.length = 0;
  return tooDeep;
}

const pending: unknown[] = [];
const depths: number[] = [];

/** Lists and dicts; bytes (typed arrays) are leaves. */
function isContainer(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !ArrayBuffer.isView(value);
}

/** The refusal every door gives, naming the limit and the setting that raises it. */
export function tooDeepMessage(limit: number): string {
  return `the message nests lists and dicts more than ${limit} levels deep (the router's max_nesting_depth)`;
}
