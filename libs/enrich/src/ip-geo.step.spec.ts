import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { enrichedLeadFixture } from '@lead-router/testing';
import { IpGeoStep, type IpLocator, clientIpOf, loadGeoIpLocator } from './ip-geo.step';

const leadFrom = (ip: string | null) =>
  enrichedLeadFixture({ lead: { country: 'FR', client_ip: ip } as never });

describe('clientIpOf', () => {
  it('reads an IPv4 or IPv6 address, unwrapping an IPv4-mapped one', () => {
    assert.equal(clientIpOf(leadFrom('8.8.8.8').lead), '8.8.8.8');
    assert.equal(clientIpOf(leadFrom('::ffff:8.8.8.8').lead), '8.8.8.8');
    assert.equal(clientIpOf(leadFrom('2001:4860:4860::8888').lead), '2001:4860:4860::8888');
  });

  it('is null without an address or with something else', () => {
    assert.equal(clientIpOf(leadFrom(null).lead), null);
    assert.equal(clientIpOf(leadFrom('not-an-ip').lead), null);
    assert.equal(clientIpOf(enrichedLeadFixture().lead), null);
  });
});

describe('IpGeoStep over geoip-lite', () => {
  let locate: IpLocator;
  before(async () => {
    locate = await loadGeoIpLocator();
  });

  it('finds the country and region of a public address, beside the lead country', () => {
    const sut = new IpGeoStep(locate);
    // Google's public resolver, registered in the US, and a Berlin hosting range.
    assert.deepEqual(sut.run(leadFrom('8.8.8.8')).patch?.ip_country, 'US');
    const berlin = sut.run(leadFrom('85.214.132.117'));
    assert.deepEqual(berlin, {
      status: 'ok',
      patch: { ip_country: 'DE', ip_region: 'DE-BE' },
    });
  });

  it('says no_match for a private address and skipped without one', () => {
    const sut = new IpGeoStep(locate);
    assert.deepEqual(sut.run(leadFrom('10.1.2.3')), { status: 'no_match' });
    assert.deepEqual(sut.run(leadFrom(null)), { status: 'skipped' });
  });
});
