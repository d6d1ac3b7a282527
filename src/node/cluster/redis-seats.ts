import type { Redis } from 'ioredis';

/**
 * Seats of bounded groups (Pusher presence channels and their max_presence_members) in Redis,
 * each taken in one atomic step so that two nodes admitting at once cannot both take the last
 * one. Keys: `PREFIX:seats:GROUP` the members seated, `PREFIX:seat-holders:GROUP␀MEMBER` the
 * nodes holding that member, `PREFIX:seats-of:NODE` what each node holds (JSON
 * [members key, holders key, member]), which dropNodeSeats frees when the node dies or leaves.
 *
 * KEYS: members, holders, the node's seats. ARGV: node, member, limit ('' for none), entry.
 * 1 when seated (or already), 0 when the group is full.
 */
const seatScript = `
if redis.call('SISMEMBER', KEYS[1], ARGV[2]) == 0 then
  if ARGV[3] ~= '' and redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
  redis.call('SADD', KEYS[1], ARGV[2])
end
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[4])
return 1`;

/** KEYS: members, holders, the node's seats. ARGV: node, member, entry. */
const unseatScript = `
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('SREM', KEYS[3], ARGV[3])
if redis.call('SCARD', KEYS[2]) == 0 then redis.call('SREM', KEYS[1], ARGV[2]) end
return 1`;

/**
 * Lua that frees every seat of the node ARGV[1] listed in the set KEYS[2], for the script that
 * drops a node's claims (one atomic step for both).
 */
export const dropNodeSeats = `
for _, entry in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local seat = cjson.decode(entry)
  redis.call('SREM', seat[2], ARGV[1])
  if redis.call('SCARD', seat[2]) == 0 then redis.call('SREM', seat[1], seat[3]) end
end
redis.call('DEL', KEYS[2])`;

export interface RedisSeatsOptions {
  redis: Redis;
  nodeId: string;
  /** A key of this cluster (its prefix added). */
  key(name: string): string;
  /** Runs one command, noting one left unanswered (RedisLink.command). */
  command<T>(name: string, run: () => Promise<T>): Promise<T>;
  /** Whether Redis is reachable and answering now. */
  answering(): boolean;
  /** A member was admitted on this node's own count (Redis away or silent): counted and warned about. */
  unchecked(): void;
}

/**
 * This node's side of the seats. While Redis is away or stalled the node admits on its own count
 * (as it registers on its own): the group may then exceed its limit across nodes, until members
 * leave. A seat taken or given back without an answer is in doubt: once Redis answers, the seats
 * in doubt that this node does not hold are given back (settleDoubts), before the node takes
 * again those it holds (its rejoin).
 */
export class RedisSeats {
  /** Seats this node holds: entry -> [group, member]. */
  private readonly held = new Map<string, [string, string]>();
  private readonly doubtful = new Map<string, [string, string]>();

  constructor(private readonly options: RedisSeatsOptions) {}

  /** The key of the set of the node's seats (for dropNodeSeats). */
  seatsOf(node: string): string {
    return this.options.key(`seats-of:${node}`);
  }

  async seat(group: string, member: string, limit: number | undefined): Promise<boolean> {
    const entry = this.entry(group, member);
    if (!this.options.answering()) return this.alone(entry, group, member, limit);
    try {
      const seated = await this.options.command('seat', () => this.options.redis.eval(seatScript, 3, ...this.keys(group, member),
        this.options.nodeId, member, limit === undefined ? '' : String(limit), entry));
      return seated === 1 ? this.hold(entry, group, member) : false;
    } catch {
      // Unanswered or refused: admitted on this node's own count, as while Redis is away.
      this.doubtful.set(entry, [group, member]);
      return this.alone(entry, group, member, limit);
    }
  }

  /** Holds a seat Redis did not count; one asked for under a limit is reported (unchecked). */
  private alone(entry: string, group: string, member: string, limit: number | undefined): true {
    if (limit !== undefined) this.options.unchecked();
    return this.hold(entry, group, member);
  }

  unseat(group: string, member: string): void {
    const entry = this.entry(group, member);
    this.held.delete(entry);
    if (!this.options.answering()) return void this.doubtful.set(entry, [group, member]);
    this.options.command('unseat', () => this.options.redis.eval(unseatScript, 3, ...this.keys(group, member), this.options.nodeId, member, entry))
      .catch(() => this.doubtful.set(entry, [group, member]));
  }

  /** Redis answers again: gives back the seats in doubt that this node does not hold. */
  settleDoubts(): void {
    const doubts = [...this.doubtful];
    this.doubtful.clear(); // one that fails again comes back
    for (const [entry, [group, member]] of doubts) if (!this.held.has(entry)) this.unseat(group, member);
  }

  private hold(entry: string, group: string, member: string): true {
    this.held.set(entry, [group, member]);
    return true;
  }

  private keys(group: string, member: string): [string, string, string] {
    return [this.options.key(`seats:${group}`), this.options.key(`seat-holders:${group}\u0000${member}`), this.seatsOf(this.options.nodeId)];
  }

  /** What the node's seats set lists for this seat: what dropNodeSeats needs to free it. */
  private entry(group: string, member: string): string {
    const [members, holders] = this.keys(group, member);
    return JSON.stringify([members, holders, member]);
  }
}
