/**
 * SASLprep (RFC 4013), as WAMP-SCRAM asks for the authid in its AuthMessage and as Autobahn and
 * Crossbar apply it (passlib's saslprep). Covered: the mappings (non-ASCII spaces to a space, the
 * "commonly mapped to nothing" characters removed), NFKC, and the prohibited characters. Not
 * covered: the bidirectional-text rule and unassigned code points (JavaScript has no Unicode 3.2
 * table); an authid that needs them is unusual, and if the two sides disagree the proof fails.
 */

/** RFC 3454 C.1.2: non-ASCII space characters, mapped to U+0020. */
const nonAsciiSpace = /[\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000]/g;
/** RFC 3454 B.1: characters mapped to nothing (soft hyphen, joiners, variation selectors...). */
const mappedToNothing = /[\u00AD\u034F\u1806\u180B-\u180D\u200B-\u200D\u2060\uFE00-\uFE0F\uFEFF]/g;
/**
 * RFC 4013 section 2.3: control characters (C.2), private use (C.3), non-characters (C.4),
 * surrogates (C.5), characters inappropriate for plain text or canonical representation (C.6,
 * C.7), that change display properties (C.8) and tagging characters (C.9).
 */
const prohibited =
  /[\p{Cc}\p{Co}\p{Cs}\u06DD\u070F\u180E\u200E\u200F\u2028-\u202E\u2060-\u2063\u206A-\u206F\uFDD0-\uFDEF\uFFF9-\uFFFD\u2FF0-\u2FFB\u0340\u0341\u{E0001}\u{E0020}-\u{E007F}\u{1D173}-\u{1D17A}]|[\uFFFE\uFFFF\u{1FFFE}\u{1FFFF}\u{2FFFE}\u{2FFFF}\u{10FFFE}\u{10FFFF}]/u;

/** The prepared string, or undefined when it holds a prohibited character. */
export function saslprep(text: string): string | undefined {
  const prepared = text.replace(nonAsciiSpace, ' ').replace(mappedToNothing, '').normalize('NFKC');
  return prohibited.test(prepared) ? undefined : prepared;
}
