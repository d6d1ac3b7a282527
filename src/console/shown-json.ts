/**
 * JSON as a panel shows it (a call's result, a topic's history, a dead letter): cut at a length the
 * page lays out at once, saying how long the whole was. A client may answer or publish up to the
 * router's 1 MiB message size, and twenty of those in one <pre> would stall the page.
 */

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

/** `text` whole, or its first `max` characters and how many there were. */
export function cutText(text: string, max = MAX_SHOWN_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (cut at ${max} of ${text.length} characters)`;
}
