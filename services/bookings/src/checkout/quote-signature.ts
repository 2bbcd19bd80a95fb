import { createHmac, timingSafeEqual } from 'node:crypto';
import { BenefitKind } from '../bookings/booking.entity';
import { QuoteTerms } from './checkout-quote';

// A quote is stored nowhere: its signature carries it. `q2.<payload>.<mac>`, where the payload
// is the quote's terms in a fixed binary layout (base64url) and the mac an HMAC-SHA256 over the
// version, the quote's id and the payload as sent, so a confirmation reads nothing to know what
// it books. The signatures made before (a bare mac of a stored quote row) match no format here:
// their rows are gone, and the client is told to ask for a new quote.

const VERSION = 'q2';

/** The benefit kinds in the order the payload numbers them: append only. */
const BENEFIT_KINDS: readonly BenefitKind[] = ['none', 'wallet_credit', 'referee_discount'];

// The payload: bookingId, studentId, instructorId (16 bytes each); startsAt, endsAt, expiresAt,
// createdAt (ms since the epoch, 6 bytes each); currency (3 ASCII); listPriceCents, benefitCents,
// platformFeeCents, feeRebateCents (uint32 each); the benefit kind (1 byte). The total is derived.
const PAYLOAD_BYTES = 3 * 16 + 4 * 6 + 3 + 4 * 4 + 1;
const PAYLOAD_CHARS = Math.ceil((PAYLOAD_BYTES * 4) / 3);
const MAC_CHARS = 43;

/** A signature longer than this is refused unread; the DTO bounds it the same way. */
export const QUOTE_SIGNATURE_MAX_LENGTH = 256;

const SIGNATURE = new RegExp(
  `^${VERSION}\\.([A-Za-z0-9_-]{${PAYLOAD_CHARS}})\\.([A-Za-z0-9_-]{${MAC_CHARS}})$`,
);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const CURRENCY = /^[A-Z]{3}$/;

/** The quote's signature: the quote itself, signed with `secret`. */
export function signQuote(q: QuoteTerms, secret: string): string {
  const payload = encodeTerms(q).toString('base64url');
  return `${VERSION}.${payload}.${mac(q.id.toLowerCase(), payload, secret)}`;
}

/**
 * The quote `signature` carries, when it is the server's, for the quote `quoteId`, unaltered;
 * otherwise null (never a throw: anything a client sends lands here).
 */
export function verifiedQuote(
  quoteId: string,
  signature: string,
  secret: string,
): QuoteTerms | null {
  if (signature.length > QUOTE_SIGNATURE_MAX_LENGTH) return null;
  const id = quoteId.toLowerCase();
  const parts = SIGNATURE.exec(signature);
  if (!parts || !UUID.test(id)) return null;
  const [, payload, given] = parts;
  const expected = mac(id, payload, secret);
  if (!timingSafeEqual(Buffer.from(given), Buffer.from(expected))) return null;
  return decodeTerms(id, Buffer.from(payload, 'base64url'));
}

function mac(quoteId: string, payload: string, secret: string): string {
  return createHmac('sha256', secret)
    .update(`${VERSION}\n${quoteId}\n${payload}`)
    .digest('base64url');
}

/** Throws on a quote out of the layout's bounds: the server made it, so a defect. */
function encodeTerms(q: QuoteTerms): Buffer {
  const currency = q.currency.trim();
  const ids = [q.bookingId, q.studentId, q.instructorId];
  if (!CURRENCY.test(currency) || !ids.every((id) => UUID.test(id.toLowerCase()))) {
    throw new Error(`quote ${q.id} does not fit a signature`);
  }
  const buf = Buffer.alloc(PAYLOAD_BYTES);
  let at = 0;
  for (const id of ids) {
    at += Buffer.from(id.replace(/-/g, ''), 'hex').copy(buf, at);
  }
  // writeUIntBE and writeUInt32BE throw on a value out of range.
  for (const date of [q.startsAt, q.endsAt, q.expiresAt, q.createdAt]) {
    at = buf.writeUIntBE(date.getTime(), at, 6);
  }
  at += buf.write(currency, at, 'ascii');
  for (const cents of [q.listPriceCents, q.benefitCents, q.platformFeeCents, q.feeRebateCents]) {
    at = buf.writeUInt32BE(cents, at);
  }
  buf.writeUInt8(BENEFIT_KINDS.indexOf(q.benefitKind), at);
  return buf;
}

/** Only ever given a payload this server signed; still checked, since a key could be shared. */
function decodeTerms(id: string, buf: Buffer): QuoteTerms | null {
  if (buf.length !== PAYLOAD_BYTES) return null;
  let at = 0;
  const uuid = () => {
    const hex = buf.toString('hex', at, (at += 16));
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  };
  const time = () => new Date(buf.readUIntBE((at += 6) - 6, 6));
  const cents = () => buf.readUInt32BE((at += 4) - 4);
  const [bookingId, studentId, instructorId] = [uuid(), uuid(), uuid()];
  const [startsAt, endsAt, expiresAt, createdAt] = [time(), time(), time(), time()];
  const currency = buf.toString('ascii', at, (at += 3));
  const [listPriceCents, benefitCents, platformFeeCents, feeRebateCents] = [
    cents(),
    cents(),
    cents(),
    cents(),
  ];
  const benefitKind = BENEFIT_KINDS[buf.readUInt8(at)];
  if (
    benefitKind === undefined ||
    !CURRENCY.test(currency) ||
    benefitCents > listPriceCents ||
    feeRebateCents > platformFeeCents
  ) {
    return null;
  }
  return {
    id,
    bookingId,
    studentId,
    instructorId,
    startsAt,
    endsAt,
    currency,
    listPriceCents,
    benefitKind,
    benefitCents,
    totalCents: listPriceCents - benefitCents,
    platformFeeCents,
    feeRebateCents,
    expiresAt,
    createdAt,
  };
}
