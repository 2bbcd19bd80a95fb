import type { IncomingMessage } from 'node:http';

/**
 * The client's address. Behind `trustedHops` proxies (load balancer, ingress) it is the entry
 * those proxies appended to X-Forwarded-For; anything further left was written by the client and
 * is ignored. Without trusted proxies the socket's peer is the client.
 */
export function clientIp(
  // Express's request is Node's; Fastify's carries the same socket and headers.
  req: Pick<IncomingMessage, 'socket' | 'headers'>,
  trustedHops: number,
): string {
  const peer = req.socket.remoteAddress ?? 'unknown';
  if (trustedHops === 0) return peer;
  const header = req.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  // The last hop appended the peer it saw; with n trusted hops the client is n-th from the right.
  return forwarded[forwarded.length - trustedHops] ?? forwarded[0] ?? peer;
}
