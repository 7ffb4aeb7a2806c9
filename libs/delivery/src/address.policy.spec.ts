import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { refusedAddressReason } from './address.policy';

describe('refusedAddressReason', () => {
  const sut = refusedAddressReason;

  it('refuses IPv4 and IPv6 loopback, IPv4-mapped loopback included', () => {
    for (const ip of ['127.0.0.1', '127.255.0.9', '::1', '[::1]', '0:0:0:0:0:0:0:1']) {
      assert.equal(sut(ip), 'a loopback address', ip);
    }
    assert.equal(sut('::ffff:127.0.0.1'), 'a loopback address');
    assert.equal(sut('::ffff:7f00:1'), 'a loopback address');
  });

  it('refuses 10/8, 172.16/12, 192.168/16 and fd00::/8, and not their neighbours', () => {
    for (const ip of [
      '10.0.0.1',
      '10.255.255.255',
      '172.16.0.1',
      '172.31.255.254',
      '192.168.1.10',
    ]) {
      assert.equal(sut(ip), 'a private address', ip);
    }
    assert.equal(sut('fd00::1'), 'a private address');
    assert.equal(sut('fd00:ec2::254'), 'a private address');
    assert.equal(sut('::ffff:10.1.2.3'), 'a private address');
    for (const ip of ['172.15.255.255', '172.32.0.1', '192.169.0.1', '11.0.0.1']) {
      assert.equal(sut(ip), null, ip);
    }
  });

  it('refuses link-local and the metadata services', () => {
    assert.equal(sut('169.254.169.254'), 'a link-local or cloud metadata address');
    assert.equal(sut('::ffff:169.254.169.254'), 'a link-local or cloud metadata address');
    assert.equal(sut('fe80::1'), 'a link-local or cloud metadata address');
    assert.equal(sut('100.100.100.200'), 'a shared (carrier-grade NAT) address');
  });

  it('refuses unspecified, multicast and reserved addresses and anything not an IP', () => {
    assert.equal(sut('0.0.0.0'), 'an unspecified address');
    assert.equal(sut('::'), 'an unspecified address');
    assert.equal(sut('224.0.0.1'), 'a multicast or reserved address');
    assert.equal(sut('255.255.255.255'), 'a multicast or reserved address');
    assert.equal(sut('localhost'), 'not an IP address');
  });

  it('lets public addresses through', () => {
    for (const ip of ['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8']) {
      assert.equal(sut(ip), null, ip);
    }
  });
});
