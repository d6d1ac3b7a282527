/**
 * Text from clients as the page shows it. JSON (a call's result, a topic's history, a dead letter)
 * is cut at a length the page lays out at once, saying how long the whole was: a client may answer
 * or publish up to the router's 1 MiB message size, and twenty of those in one <pre> would stall
 * the page. Unicode direction controls are shown as escapes, so that a URI or an argument cannot
 * make what follows it read backwards ("com.example.\u202etxt.exe" shown as "com.example.exe.txt").
 */

/** Embeddings, overrides, isolates and marks of Unicode's bidirectional algorithm. */
const directionControls = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** `text` with each direction control written as its JSON escape ("\u202e"), which is also valid inside JSON strings. */
export function visible(text: string): string {
  return text.replace(directionControls, (control) => `\\u${control.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Characters of JSON one panel shows at most. */
export const MAX_SHOWN_CHARS = 65_536;

/** `value` as JSON (indented when asked), cut at `max` characters with a note; a cycle says so instead of throwing. */
export function shownJson(value: unknown, indent?: number, max = MAX_SHOWN_CHARS): string {
  let text: string;
  try {
    text = JSON.stringify(value, null, indent) ?? 'undefined';
  } catch (error) {
    return `(not showable as JSON: ${(error as Error).message})`;
  }
  return cutText(text, max);
}

/** `text` whole, or its first `max` characters and how many there were; direction controls made visible. */
export function cutText(text: string, max = MAX_SHOWN_CHARS): string {
  const shown = visible(text);
  return shown.length <= max ? shown : `${shown.slice(0, max)}… (cut at ${max} of ${shown.length} characters)`;
}
