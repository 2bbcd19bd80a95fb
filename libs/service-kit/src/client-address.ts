import { BlockList, isIPv4, isIPv6 } from 'node:net';

// Addresses that name a proxy, a pod or this machine, never a client's own network.
const NOT_A_CLIENT_NETWORK = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
] as const) {
  NOT_A_CLIENT_NETWORK.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::1', 128],
  ['::', 128],
  ['fc00::', 7],
  ['fe80::', 10],
] as const) {
  NOT_A_CLIENT_NETWORK.addSubnet(net, prefix, 'ipv6');
}

/**
 * Whether an address is a client's public one, worth keeping (hashed) to see which accounts
 * share a network. Loopback, private and link-local addresses are what a service sees behind a
 * proxy or on one machine: counting them would put every user in one household.
 */
export function isPublicClientAddress(address: string | undefined): address is string {
  if (!address) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const ip = mapped ? mapped[1] : address;
  if (isIPv4(ip)) return !NOT_A_CLIENT_NETWORK.check(ip, 'ipv4');
  if (isIPv6(ip)) return !NOT_A_CLIENT_NETWORK.check(ip, 'ipv6');
  return false;
}
