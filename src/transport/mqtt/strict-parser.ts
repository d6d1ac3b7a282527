import { isUtf8 } from 'node:buffer';
import { parser as createParser } from 'mqtt-packet';

/**
 * mqtt-packet's parser, refusing what MQTT calls a malformed UTF-8 string (MQTT-1.5.4-1, -2):
 * ill-formed UTF-8 (surrogates included) or U+0000. mqtt-packet decodes strings leniently, so a
 * topic with invalid bytes would be published under U+FFFD replacements: silently altered.
 */

/** The parser's string reader and error path, which this module wraps (mqtt-packet 9's internals). */
interface ParserInternals {
  _list: { slice(start: number, end: number): Buffer };
  _pos: number;
  error: Error | null;
  _parseString(): string | null;
  _emitError(error: Error): void;
}

export const malformedStringMessage = 'a string is not well-formed UTF-8 or contains U+0000 (MQTT-1.5.4)';

export function createStrictParser(): ReturnType<typeof createParser> {
  const parser = createParser();
  const internals = parser as unknown as ParserInternals;
  const parseString = internals._parseString.bind(internals);
  const emitError = internals._emitError.bind(internals);
  internals._parseString = () => {
    const start = internals._pos;
    const text = parseString();
    if (text === null) return null;
    // The string's bytes follow its 2-byte length.
    const bytes = internals._list.slice(start + 2, internals._pos);
    if (isUtf8(bytes) && !bytes.includes(0)) return text;
    internals._emitError(new Error(malformedStringMessage));
    return null;
  };
  // The caller of a failed string emits its own error next ("Cannot parse topic"): the first one says why.
  internals._emitError = (error) => {
    if (internals.error === null) emitError(error);
  };
  return parser;
}
