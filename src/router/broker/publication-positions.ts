import { randomBytes } from 'node:crypto';

/**
 * Where a publication stands among those of the broker that made it: `source` names that broker
 * (one realm on one node, drawn anew each time the node starts), `seq` counts its publications.
 * Every node receives one source's publications in the order they were made, so "every
 * publication of S up to seq N" means the same set on every node, however publications of
 * different sources interleave on each. That is what lets a resume point (an SSE Last-Event-ID)
 * made on one node be read exactly on another.
 */
export interface PublicationPosition {
  readonly source: string;
  readonly seq: number;
}

/**
 * Sources a broker remembers at once (each node of a cluster, and each restart of one, is a
 * source); past this the one heard from least recently is forgotten. A resume point names at most
 * this many sources, which bounds its size.
 */
export const MAX_POSITION_SOURCES = 16;

/** A source name: 48 random bits in base64url (8 characters, no '.', ',' or ':'). */
function newSource(): string {
  return randomBytes(6).toString('base64url');
}

/**
 * This broker's own sequence, and the highest position heard from each source (its own and the
 * other nodes'): what a stream on this node has been offered of each source so far.
 */
export class PublicationPositions {
  readonly source = newSource();
  private seq = 0;
  /** Insertion order is the order sources were last heard from: the first is forgotten first. */
  private readonly heads = new Map<string, number>();
  /** The position of the publication being delivered right now (delivery is synchronous). */
  delivering: PublicationPosition | undefined;

  /** The next position of a publication made here. */
  next(): PublicationPosition {
    const position = { source: this.source, seq: ++this.seq };
    this.heard(position);
    return position;
  }

  /** A publication (or a copied history event) of `position` has reached this node. */
  heard(position: PublicationPosition): void {
    const head = this.heads.get(position.source);
    if (head !== undefined && head >= position.seq) return;
    this.heads.delete(position.source);
    this.heads.set(position.source, position.seq);
    if (this.heads.size > MAX_POSITION_SOURCES) this.heads.delete(this.heads.keys().next().value!);
  }

  /** The highest seq heard from each source. */
  get all(): ReadonlyMap<string, number> {
    return this.heads;
  }
}
