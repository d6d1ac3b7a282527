import { MAX_POSITION_SOURCES, type PublicationPosition } from '../../router/broker/publication-positions.js';

/**
 * An SSE event id, and what a client sends back as Last-Event-ID: where the stream stands.
 *
 * The id is `<publication>:<source>.<seq>,<source>.<seq>...`: the publication ID (for the
 * reader), then for each source of publications (a realm on one node, see PublicationPosition)
 * the highest seq, in base 36, the stream had been offered when it got this event. Every node
 * receives one source's publications in its order, so "after seq N of each source" names the
 * same events on every node, whatever order each node interleaved the sources in. An id is at
 * most MAX_POSITION_SOURCES entries long (about 350 characters).
 *
 * Ids from before (a bare publication ID) are still read: they name a place in one node's history.
 */
export type ResumePoint =
  | { kind: 'positions'; publication: number; seen: ReadonlyMap<string, number> }
  | { kind: 'publication'; publication: number };

/** WAMP IDs are 1..2^53. */
const maxId = 2n ** 53n;
const publicationPattern = /^[1-9][0-9]{0,15}$/;
const entryPattern = /^([A-Za-z0-9_-]{8})\.([0-9a-z]{1,11})$/;

/** The resume point a Last-Event-ID names, or why it names none (for the stream's comment). */
export function parseResumePoint(text: string): ResumePoint | { kind: 'invalid'; reason: string } {
  const invalid = { kind: 'invalid' as const, reason: `Last-Event-ID "${printable(text)}" is not an event id of this router; live events only` };
  const colon = text.indexOf(':');
  const publicationText = colon < 0 ? text : text.slice(0, colon);
  // Compared as a BigInt: above 2^53 a Number rounds.
  if (!publicationPattern.test(publicationText) || BigInt(publicationText) > maxId) return invalid;
  const publication = Number(publicationText);
  if (colon < 0) return { kind: 'publication', publication };
  const seen = new Map<string, number>();
  const list = text.slice(colon + 1);
  const entries = list === '' ? [] : list.split(',');
  if (entries.length > MAX_POSITION_SOURCES) return invalid;
  for (const entry of entries) {
    const match = entryPattern.exec(entry);
    const seq = match ? parseInt(match[2]!, 36) : NaN;
    if (!match || !Number.isSafeInteger(seq) || seen.has(match[1]!)) return invalid;
    seen.set(match[1]!, seq);
  }
  return { kind: 'positions', publication, seen };
}

/** The id of an event of `publication` on a stream that has been offered `seen` of each source. */
export function formatEventId(publication: number, seen: Iterable<[string, number]>): string {
  let list = '';
  for (const [source, seq] of seen) list += `${list === '' ? '' : ','}${source}.${seq.toString(36)}`;
  return `${publication}:${list}`;
}

/** Whether `seen` already covers the publication at `position`: the client had it (or it came before its stream). */
export function covers(seen: ReadonlyMap<string, number>, position: PublicationPosition | undefined): boolean {
  return position !== undefined && position.seq <= (seen.get(position.source) ?? 0);
}

/** `seen` raised to `heads` wherever a head is higher, in heads' order (the rest after). */
export function merged(heads: ReadonlyMap<string, number>, seen: ReadonlyMap<string, number>): Map<string, number> {
  const result = new Map<string, number>();
  for (const [source, seq] of heads) result.set(source, Math.max(seq, seen.get(source) ?? 0));
  for (const [source, seq] of seen) if (!result.has(source)) result.set(source, seq);
  // The newest heads last: over the bound, the sources heard from least recently go first.
  while (result.size > MAX_POSITION_SOURCES) result.delete(result.keys().next().value!);
  return result;
}

/** Raises `seen` to `position` (kept within MAX_POSITION_SOURCES: the source raised longest ago goes first). */
export function raise(seen: Map<string, number>, position: PublicationPosition): void {
  if ((seen.get(position.source) ?? 0) >= position.seq) return;
  seen.delete(position.source);
  seen.set(position.source, position.seq);
  if (seen.size > MAX_POSITION_SOURCES) seen.delete(seen.keys().next().value!);
}

/** Whether every entry of `seen` is at or below `heads`: this node has heard all the client had. */
export function reached(heads: ReadonlyMap<string, number>, seen: ReadonlyMap<string, number>): boolean {
  for (const [source, seq] of seen) if ((heads.get(source) ?? 0) < seq) return false;
  return true;
}

function printable(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 40 ? `${clean.slice(0, 40)}...` : clean;
}
