/** A place in a configuration document, and how it is printed in messages. */

/** A location inside the parsed document: object keys and array indexes from the root. */
export type ConfigPath = readonly (string | number)[];

const identifier = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `workers[0].paths["/ws"].type`: dots for plain keys, brackets for indexes and odd keys. */
export function formatPath(path: ConfigPath): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (identifier.test(segment)) text += text === '' ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}

/** `path: text`, or the text alone for the document itself. */
export function withPath(path: ConfigPath, text: string): string {
  const formatted = formatPath(path);
  return formatted === '' ? text : `${formatted}: ${text}`;
}
