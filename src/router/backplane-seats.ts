/**
 * Seats of bounded groups (Pusher presence members; see Backplane.seat), decided in one process:
 * the IPC parent of `--workers`, or the in-memory hub. A member is seated while any node holds it.
 */
export class SeatTable {
  /** group -> member -> the nodes holding it. */
  private readonly groups = new Map<string, Map<string, Set<string>>>();

  /** `limit` undefined: seated whatever the count (a seat the node held already). */
  seat(node: string, group: string, member: string, limit: number | undefined): boolean {
    let members = this.groups.get(group);
    const holders = members?.get(member);
    if (holders) {
      holders.add(node);
      return true;
    }
    if (limit !== undefined && (members?.size ?? 0) >= limit) return false;
    if (!members) this.groups.set(group, (members = new Map()));
    members.set(member, new Set([node]));
    return true;
  }

  unseat(node: string, group: string, member: string): void {
    const members = this.groups.get(group);
    const holders = members?.get(member);
    if (!holders?.delete(node) || holders.size > 0) return;
    members!.delete(member);
    if (members!.size === 0) this.groups.delete(group);
  }

  /** A node left or died: its seats are free. */
  dropNode(node: string): void {
    for (const [group, members] of [...this.groups]) for (const member of [...members.keys()]) this.unseat(node, group, member);
  }
}
