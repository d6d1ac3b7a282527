import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IpRanges, ipRangeProblem } from './ip-ranges.js';

describe('IpRanges', () => {
  it('matches single IPv4 and IPv6 addresses exactly', () => {
    const ranges = new IpRanges(['192.0.2.1', '2001:db8::1']);
    assert.equal(ranges.has('192.0.2.1'), true);
    assert.equal(ranges.has('192.0.2.2'), false);
    assert.equal(ranges.has('2001:db8::1'), true);
    assert.equal(ranges.has('2001:0db8:0:0:0:0:0:1'), true);
    assert.equal(ranges.has('2001:db8::2'), false);
  });

  it('matches CIDR ranges of both families, at their edges', () => {
    const ranges = new IpRanges(['10.0.0.0/8', '192.168.1.0/24', 'fd00::/8']);
    assert.equal(ranges.has('10.0.0.0'), true);
    assert.equal(ranges.has('10.255.255.255'), true);
    assert.equal(ranges.has('11.0.0.0'), false);
    assert.equal(ranges.has('192.168.1.77'), true);
    assert.equal(ranges.has('192.168.2.1'), false);
    assert.equal(ranges.has('fd12:3456::1'), true);
    assert.equal(ranges.has('fe80::1'), false);
  });

  it('reads Crossbar\'s netmask form like the matching prefix length', () => {
    const mask = new IpRanges(['192.168.1.0/255.255.255.0', '172.16.0.0/255.240.0.0']);
    assert.equal(mask.has('192.168.1.200'), true);
    assert.equal(mask.has('192.168.0.1'), false);
    assert.equal(mask.has('172.31.255.255'), true);
    assert.equal(mask.has('172.32.0.0'), false);
    assert.equal(new IpRanges(['0.0.0.0/0.0.0.0']).has('8.8.8.8'), true);
    assert.equal(new IpRanges(['192.0.2.9/255.255.255.255']).has('192.0.2.8'), false);
  });

  it('takes host bits in a range as the network they belong to', () => {
    assert.equal(new IpRanges(['10.1.2.3/8']).has('10.200.0.1'), true);
  });

  it('matches IPv4-mapped IPv6 addresses against IPv4 ranges', () => {
    const ranges = new IpRanges(['127.0.0.1', '10.0.0.0/8']);
    assert.equal(ranges.has('::ffff:127.0.0.1'), true);
    assert.equal(ranges.has('::FFFF:10.9.8.7'), true);
    assert.equal(ranges.has('::ffff:11.0.0.1'), false);
  });

  it('matches nothing for garbage and nothing when empty', () => {
    const ranges = new IpRanges(['0.0.0.0/0', '::/0']);
    assert.equal(ranges.has('unknown'), false);
    assert.equal(ranges.has(''), false);
    const empty = new IpRanges([]);
    assert.equal(empty.empty, true);
    assert.equal(empty.has('127.0.0.1'), false);
    assert.equal(ranges.empty, false);
  });

  it('throws with the offending entry', () => {
    assert.throws(() => new IpRanges(['10.0.0.0/8', 'localhost']), /"localhost" is not an IP address or range/);
    assert.throws(() => new IpRanges(['10.0.0.0/33']), /"10\.0\.0\.0\/33" has an invalid prefix length or netmask for an IPv4 range/);
  });
});

describe('ipRangeProblem', () => {
  it('accepts addresses, prefix lengths and contiguous netmasks', () => {
    for (const entry of ['127.0.0.1', '::1', '10.0.0.0/8', '10.0.0.0/0', '10.0.0.0/32', 'fd00::/8', '::/128', '192.168.1.0/255.255.255.0', '0.0.0.0/0.0.0.0']) {
      assert.equal(ipRangeProblem(entry), undefined, entry);
    }
  });

  it('names what is wrong with everything else', () => {
    const invalid: Record<string, RegExp> = {
      'example.com': /not an IP address or range/,
      '10.0.0': /not an IP address or range/,
      '300.1.1.1': /not an IP address or range/,
      ' 10.0.0.1': /not an IP address or range/,
      '/8': /not an IP address or range/,
      '10.0.0.0/': /invalid prefix length or netmask for an IPv4 range/,
      '10.0.0.0/33': /IPv4 range/,
      '10.0.0.0/-1': /IPv4 range/,
      '10.0.0.0/8.5': /IPv4 range/,
      '10.0.0.0/255.0.255.0': /IPv4 range/, // not contiguous
      '10.0.0.0/0.255.255.255': /IPv4 range/, // inverted (a wildcard mask)
      'fd00::/129': /IPv6 range/,
      'fd00::/255.0.0.0': /IPv6 range/, // netmask form is IPv4 only
      '10.0.0.0/8/8': /IPv4 range/,
    };
    for (const [entry, problem] of Object.entries(invalid)) assert.match(ipRangeProblem(entry) ?? 'accepted', problem, entry);
  });
});
