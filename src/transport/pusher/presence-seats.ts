/** Who decides, for the whole cluster, whether a presence channel has a seat left (the backplane's Redis). */
export interface SeatAuthority {
  /** Resolves whether `userId` has a seat on `channel` (it had one already, or one of `limit` was free). */
  seat(channel: string, userId: string, limit: number): Promise<boolean>;
  unseat(channel: string, userId: string): void;
}

/** One user's seat on one channel, by this node: the connections that took it, and the authority's answer. */
interface Hold {
  connections: number;
  seated: Promise<boolean>;
  /** Undefined while the authority is asked. */
  answer?: boolean;
}

/**
 * This node's seats on an app's presence channels. A user holds one seat per channel however many
 * of this node's connections it has there: the first connection asks the authority (its answer is
 * shared by those that come while it is asked), and the seat is given back when the last one
 * leaves or does not join after all. Without an authority (no cluster) every take succeeds: the
 * node's own count, checked with the join in one step, decides.
 */
export class PresenceSeats {
  private readonly holds = new Map<string, Hold>();

  constructor(private readonly authority: SeatAuthority | undefined) {}

  /** One more connection of the user wants to join the channel; resolves whether the user has a seat. Each true is given back once (give). */
  async take(channel: string, userId: string, limit: number): Promise<boolean> {
    if (!this.authority) return true;
    const key = seatKey(channel, userId);
    let hold = this.holds.get(key);
    if (!hold) {
      const asked: Hold = { connections: 0, seated: this.authority.seat(channel, userId, limit).catch(() => false) };
      asked.seated = asked.seated.then((answer) => (asked.answer = answer));
      this.holds.set(key, (hold = asked));
    }
    hold.connections++;
    if (await hold.seated) return true;
    this.give(channel, userId);
    return false;
  }

  /**
   * A connection whose take resolved left the channel or did not join it. The seat is given back
   * at once, so that a take coming right after reaches the authority after this release.
   */
  give(channel: string, userId: string): void {
    const key = seatKey(channel, userId);
    const hold = this.holds.get(key);
    if (!hold || --hold.connections > 0) return;
    this.holds.delete(key);
    if (hold.answer === true) this.authority!.unseat(channel, userId);
  }
}

function seatKey(channel: string, userId: string): string {
  return `${channel}\u0000${userId}`;
}
