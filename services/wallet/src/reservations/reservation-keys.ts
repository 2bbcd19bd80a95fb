/** Ledger idempotency keys of a reservation's movements: one of each per reservation. */
export const reserveKey = (reference: string): string => `checkout-reserve:${reference}`;
export const captureKey = (reference: string): string => `checkout-capture:${reference}`;
export const releaseKey = (reference: string): string => `checkout-release:${reference}`;
export const refundKey = (reference: string): string => `checkout-refund:${reference}`;

/** The largest amount one checkout may hold: far above any lesson, far below 2^53. */
export const MAX_RESERVATION_CENTS = 100_000_000;
