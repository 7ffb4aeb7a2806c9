import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { lookup } from 'geoip-lite';
import { GeoIpTable } from './geoip.table';

/** A deterministic spread of addresses (xorshift), so a failure names the same address again. */
function* addresses(count: number): Generator<string> {
  let x = 0x2545f491;
  const next = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  for (let i = 0; i < count; i++) {
    const v4 = next();
    yield [v4 >>> 24, (v4 >>> 16) & 255, (v4 >>> 8) & 255, v4 & 255].join('.');
    const groups = [0x2000 | (next() & 0x1fff), next() & 0xffff, next() & 0xffff, next() & 0xffff];
    yield `${groups.map((g) => g.toString(16)).join(':')}::${(next() & 0xffff).toString(16)}`;
  }
}

describe('GeoIpTable', () => {
  let table: GeoIpTable;
  before(() => {
    table = GeoIpTable.load();
  });

  it('gives the country and region geoip-lite gives, for 40,000 IPv4 and IPv6 addresses', () => {
    // A place without a country is no answer to the IP step, from either.
    const place = (hit: { country: string; region: string } | null) =>
      hit === null || hit.country === '' ? null : { country: hit.country, region: hit.region };
    let located = 0;
    for (const ip of addresses(20_000)) {
      const expected = place(lookup(ip));
      assert.deepEqual(place(table.lookup(ip)), expected, ip);
      if (expected !== null) located++;
    }
    // Most of the spread is allocated space: the comparison is not of nulls alone.
    assert.ok(located > 10_000, `only ${located} addresses located`);
  });

  it('answers nothing for private, mapped private and malformed addresses', () => {
    for (const ip of ['10.1.2.3', '172.16.0.1', '192.168.1.1', '::ffff:10.0.0.1', 'not an ip']) {
      assert.equal(table.lookup(ip), null, ip);
    }
  });

  it('reads an IPv4-mapped IPv6 address as its IPv4 address', () => {
    assert.deepEqual(table.lookup('::ffff:8.8.8.8'), table.lookup('8.8.8.8'));
    assert.notEqual(table.lookup('8.8.8.8'), null);
  });
});
