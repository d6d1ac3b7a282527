import { BlockList, isIP } from 'node:net';

/**
 * A set of IP addresses and ranges, as configs write them: "127.0.0.1", "::1", "10.0.0.0/8",
 * "fd00::/8" or Crossbar's netmask form "192.168.1.0/255.255.255.0". IPv4-mapped IPv6
 * addresses ("::ffff:10.1.2.3", what a dual-stack socket reports) match their IPv4 ranges.
 */
export class IpRanges {
  private readonly list = new BlockList();
  readonly empty: boolean;

  /** Throws with the offending entry when one is not an address or range. */
  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const problem = ipRangeProblem(entry);
      if (problem) throw new Error(problem);
      const [address, prefix] = splitRange(entry);
      const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      if (prefix === undefined) this.list.addAddress(address, family);
      else this.list.addSubnet(address, prefix, family);
    }
    this.empty = entries.length === 0;
  }

  has(address: string): boolean {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return this.list.check(mapped[1]!, 'ipv4') || this.list.check(address, 'ipv6');
    const family = isIP(address);
    if (family === 0) return false;
    return this.list.check(address, family === 6 ? 'ipv6' : 'ipv4');
  }
}

/** Why `entry` is not an address or range, or undefined when it is one (config validation uses this). */
export function ipRangeProblem(entry: string): string | undefined {
  const slash = entry.indexOf('/');
  const address = slash < 0 ? entry : entry.slice(0, slash);
  const family = isIP(address);
  if (family === 0) return `"${entry}" is not an IP address or range ("10.0.0.0/8", "::1", "192.168.1.0/255.255.255.0")`;
  if (slash < 0) return undefined;
  const prefix = prefixLength(entry.slice(slash + 1), family);
  return prefix === undefined ? `"${entry}" has an invalid prefix length or netmask for an IPv${family} range` : undefined;
}

function splitRange(entry: string): [string, number | undefined] {
  const slash = entry.indexOf('/');
  if (slash < 0) return [entry, undefined];
  const address = entry.slice(0, slash);
  return [address, prefixLength(entry.slice(slash + 1), isIP(address))];
}

/** "24" or "255.255.255.0" -> 24; undefined when out of range or not a contiguous mask. */
function prefixLength(text: string, family: number): number | undefined {
  const max = family === 6 ? 128 : 32;
  if (/^\d{1,3}$/.test(text)) {
    const bits = Number(text);
    return bits <= max ? bits : undefined;
  }
  if (family !== 4 || isIP(text) !== 4) return undefined;
  const mask = text.split('.').reduce((value, octet) => value * 256 + Number(octet), 0);
  const bits = 32 - Math.log2(2 ** 32 - mask);
  return Number.isInteger(bits) ? bits : undefined;
}
