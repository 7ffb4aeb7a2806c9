import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { clientIpOf, proxyTrust } from './client-ip';

const request = (peer: string, forwardedFor?: string) =>
  ({
    socket: { remoteAddress: peer },
    headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
  }) as unknown as IncomingMessage;

describe('clientIpOf', () => {
  const sut = clientIpOf;

  it('takes the socket peer and ignores X-Forwarded-For when no proxy is trusted', () => {
    assert.equal(sut(request('198.51.100.4', '203.0.113.7'), proxyTrust([])), '198.51.100.4');
  });

  it('takes the client a trusted proxy names', () => {
    const trust = proxyTrust(['10.0.0.0/8']);
    assert.equal(sut(request('10.1.2.3', '203.0.113.7'), trust), '203.0.113.7');
  });

  it('stops at the first hop that is not trusted: a client cannot forge its address', () => {
    const trust = proxyTrust(['10.0.0.0/8']);
    // The client sent "X-Forwarded-For: 1.1.1.1"; the proxy appended the client's real address.
    assert.equal(sut(request('10.1.2.3', '1.1.1.1, 203.0.113.7'), trust), '203.0.113.7');
    assert.equal(sut(request('198.51.100.4', '203.0.113.7'), trust), '198.51.100.4');
  });

  it('refuses a trusted-proxy entry that is not an address or a range', () => {
    assert.throws(() => proxyTrust(['not-an-ip']));
  });
});
