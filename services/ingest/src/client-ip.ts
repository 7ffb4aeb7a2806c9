import type { IncomingMessage } from 'node:http';
import proxyaddr from '@fastify/proxy-addr';

/** Whether the hop at `addr` (the i-th from the socket) is a proxy whose headers we believe. */
export type ProxyTrust = (addr: string, i: number) => boolean;

/**
 * The trust for INGEST_TRUSTED_PROXIES: addresses, CIDR ranges, or `loopback`, `linklocal`,
 * `uniquelocal`. None (the default) trusts no proxy, so X-Forwarded-For, which any client can
 * send, is never read. Throws on an entry that is not an address or range.
 */
export function proxyTrust(proxies: readonly string[]): ProxyTrust {
  return proxies.length === 0 ? () => false : proxyaddr.compile([...proxies]);
}

/**
 * The client's IP: the socket's peer, or, while that peer and each hop before it are trusted
 * proxies, the address X-Forwarded-For names next (proxy-addr, as Express and Fastify read it).
 */
export function clientIpOf(request: IncomingMessage, trust: ProxyTrust): string | null {
  if (request.socket?.remoteAddress === undefined) return null;
  return proxyaddr(request, trust) || null;
}
