import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * What referrals (which writes them) and bookings (which reads them back at signup) agree on
 * about attribution, beside the events: the attribution cookie's format and the keyed hash of a
 * device id or IP address. Both are keyed by the same secret pepper (ATTRIBUTION_HASH_PEPPER).
 */

/** The first-party cookie `GET /r/{slug}` sets: a signed click token (30 days). */
export const ATTRIBUTION_COOKIE = 'rp_ref';
/** A first-party device id for browsers that send no X-Device-Id (2 years). */
export const DEVICE_COOKIE = 'rp_did';

/**
 * The only form in which a device id, an IP address or a card's payment fingerprint is ever
 * stored or published: an HMAC-SHA256 under the secret pepper, so equal inputs still match but
 * cannot be read back.
 */
export function attributionHash(
  pepper: string,
  kind: 'device' | 'ip' | 'card',
  value: string,
): string {
  return createHmac('sha256', pepper).update(`${kind}:${value}`).digest('hex');
}

/** A share-link click, as its cookie proves it. */
export interface ClickToken {
  clickId: string;
  code: string;
  clickedAt: Date;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const CODE = /^[A-Z0-9]{4,32}$/;
const MILLIS = /^[0-9a-z]{1,11}$/;
const MAC = /^[A-Za-z0-9_-]{22}$/;

function mac(pepper: string, body: string): string {
  return createHmac('sha256', pepper)
    .update(`click-token:${body}`)
    .digest('base64url')
    .slice(0, 22);
}

/**
 * The cookie value for a click: `<click id>.<code>.<clicked at, ms base 36>.<MAC>`. It carries
 * the click itself, so a signup can be attributed by it even before the replica that took the
 * click has written it (clicks are buffered), or when that replica died with it unwritten.
 */
export function signClickToken(pepper: string, click: ClickToken): string {
  const body = `${click.clickId}.${click.code}.${click.clickedAt.getTime().toString(36)}`;
  return `${body}.${mac(pepper, body)}`;
}

/** The click a cookie value proves, or undefined when it is malformed or its MAC is wrong. */
export function readClickToken(pepper: string, value: string): ClickToken | undefined {
  if (value.length > 128) return undefined;
  const parts = value.split('.');
  if (parts.length !== 4) return undefined;
  const [clickId, code, millis, presented] = parts;
  if (!UUID.test(clickId) || !CODE.test(code) || !MILLIS.test(millis) || !MAC.test(presented)) {
    return undefined;
  }
  const expected = mac(pepper, `${clickId}.${code}.${millis}`);
  if (!timingSafeEqual(Buffer.from(presented), Buffer.from(expected))) return undefined;
  const clickedAt = new Date(parseInt(millis, 36));
  if (Number.isNaN(clickedAt.getTime())) return undefined;
  return { clickId, code, clickedAt };
}
