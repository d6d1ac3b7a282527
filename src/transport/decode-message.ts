import type { Codec } from '../codec/codec.js';
import { DEFAULT_MAX_NESTING_DEPTH, nestsDeeperThan, tooDeepMessage } from '../codec/nesting.js';

export type Decoded = { ok: true; message: unknown } | { ok: false; reason: string };

/**
 * One incoming frame as a (not yet validated) WAMP message, for every transport: decoded with the
 * negotiated codec, then held to the nesting limit. A failure carries the reason the session is
 * aborted with (protocol_violation).
 */
export function decodeMessage(
  codec: Codec,
  frame: Uint8Array | string,
  maxNestingDepth = DEFAULT_MAX_NESTING_DEPTH,
  /** Completes "could not decode ...". */
  what = `the message as ${codec.name}`,
): Decoded {
  let message: unknown;
  try {
    message = codec.decode(frame);
  } catch (error) {
    // A decoder that recursed too deep: the same limit, even if the walk below never ran.
    if (isStackOverflow(error)) return { ok: false, reason: tooDeepMessage(maxNestingDepth) };
    return { ok: false, reason: `could not decode ${what}: ${(error as Error).message}` };
  }
  // Each level takes an octet at least, in JSON two characters ("[" and "]").
  const levelsAtMost = typeof frame === 'string' || !codec.binary ? frame.length / 2 : frame.length;
  if (nestsDeeperThan(message, maxNestingDepth, levelsAtMost)) return { ok: false, reason: tooDeepMessage(maxNestingDepth) };
  return { ok: true, message };
}

function isStackOverflow(error: unknown): boolean {
  return error instanceof RangeError && error.message.includes('call stack');
}
