import { BlockList, isIP } from 'node:net';

/**
 * Address ranges an outbound call to a user-configured URL must not reach unless its destination
 * allows it: this host, the private network, and the cloud metadata services, which answer on
 * link-local (169.254.169.254, fe80::) and unique-local (fd00:ec2::254) addresses and, on some
 * clouds, inside the shared address space (100.100.100.200). IPv4-mapped IPv6 addresses
 * (::ffff:127.0.0.1) are checked as the IPv4 address they carry (BlockList does that).
 */
const RANGES: readonly { readonly why: string; readonly subnets: readonly string[] }[] = [
  { why: 'a loopback address', subnets: ['127.0.0.0/8', '::1/128'] },
  {
    why: 'a private address',
    subnets: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
  },
  {
    why: 'a link-local or cloud metadata address',
    subnets: ['169.254.0.0/16', 'fe80::/10'],
  },
  { why: 'a shared (carrier-grade NAT) address', subnets: ['100.64.0.0/10'] },
  { why: 'an unspecified address', subnets: ['0.0.0.0/8', '::/128'] },
  {
    why: 'a multicast or reserved address',
    subnets: ['224.0.0.0/4', '240.0.0.0/4', 'ff00::/8'],
  },
];

const lists = RANGES.map(({ why, subnets }) => {
  const list = new BlockList();
  for (const subnet of subnets) {
    const [network, prefix] = subnet.split('/') as [string, string];
    list.addSubnet(network, Number(prefix), isIP(network) === 6 ? 'ipv6' : 'ipv4');
  }
  return { why, list };
});

/**
 * Why `address` (an IP literal, IPv6 with or without brackets) may not be called without
 * `allow_private`, or null when it is a public address. Anything that is not an IP address is
 * refused too: the check runs on what a lookup resolved, never on a host name.
 */
export function refusedAddressReason(address: string): string | null {
  const ip = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const family = isIP(ip);
  if (family === 0) return 'not an IP address';
  const type = family === 6 ? 'ipv6' : 'ipv4';
  for (const { why, list } of lists) if (list.check(ip, type)) return why;
  return null;
}
