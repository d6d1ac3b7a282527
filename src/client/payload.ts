/** Positional payload of a message. */
export type Args = unknown[];
/** Keyword payload of a message. */
export type Kwargs = Record<string, unknown>;
