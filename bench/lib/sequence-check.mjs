/**
 * The loss / duplicate / order check of one stream of numbered events (1, 2, 3, ... from one
 * publisher on one topic, as one subscriber sees them). Events may overtake each other when they
 * were sent concurrently (the HTTP publisher's parallel POSTs), so a gap is remembered until its
 * events arrive late (counted as reordered) or the run ends (missing). Gaps longer than
 * MAX_TRACKED_GAP are not tracked event by event: they count as missing for good.
 */

export const MAX_TRACKED_GAP = 4096;

export class SequenceCheck {
  constructor() {
    this.last = 0; // the highest number seen
    this.gaps = null; // numbers below `last` not seen yet (a Set, made on the first gap)
    this.untracked = 0;
    this.reordered = 0;
    this.duplicates = 0;
  }

  see(seq) {
    if (seq === this.last + 1) {
      this.last = seq;
    } else if (seq > this.last) {
      const skipped = seq - this.last - 1;
      if (skipped > MAX_TRACKED_GAP) this.untracked += skipped;
      else {
        this.gaps ??= new Set();
        for (let n = this.last + 1; n < seq; n++) this.gaps.add(n);
      }
      this.last = seq;
    } else if (this.gaps?.delete(seq)) this.reordered++;
    else this.duplicates++;
  }

  /** The faults once `expected` events were sent: gaps never filled and a missing tail are lost. */
  faults(expected) {
    const missing = this.untracked + (this.gaps?.size ?? 0) + Math.max(0, expected - this.last);
    // More seen than sent is a fault too (an event the publisher never sent, or counted twice).
    const extra = Math.max(0, this.last - expected);
    return { missing, reordered: this.reordered, duplicates: this.duplicates + extra };
  }
}
