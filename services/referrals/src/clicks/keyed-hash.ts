import { createHmac } from 'node:crypto';

/**
 * The only form in which a device id or an IP address is ever stored or published: an
 * HMAC-SHA256 under a secret pepper, so equal inputs still match but cannot be read back.
 * Bookings computes the same hash at signup with the same pepper.
 */
export function keyedHash(pepper: string, kind: 'device' | 'ip', value: string): string {
  return createHmac('sha256', pepper).update(`${kind}:${value}`).digest('hex');
}
