import Stripe from 'stripe';

/** Stable codes of a failed transfer attempt: stored on the attempt and shown to the user. */
export type TransferFailureCode =
  | 'PAYOUT_ACCOUNT_MISSING'
  | 'PAYOUTS_NOT_ENABLED'
  | 'BOOKINGS_UNAVAILABLE'
  | 'STRIPE_RATE_LIMITED'
  | 'STRIPE_IDEMPOTENCY_CONFLICT'
  | 'STRIPE_BALANCE_INSUFFICIENT'
  | 'STRIPE_UNAVAILABLE'
  | 'STRIPE_ERROR'
  | 'UNEXPECTED_ERROR';

export interface TransferFailure {
  code: TransferFailureCode;
  message: string;
}

/** Stripe error codes that mean the destination account cannot receive this transfer. */
const ACCOUNT_PROBLEMS = new Set([
  'account_invalid',
  'insufficient_capabilities_for_transfer',
  'payouts_not_allowed',
  'transfers_not_allowed',
]);

const MAX_MESSAGE_LENGTH = 500;

export function transferFailure(code: TransferFailureCode, message: string): TransferFailure {
  return { code, message: message.slice(0, MAX_MESSAGE_LENGTH) };
}

/** Maps whatever a Stripe call threw to a stable failure code. */
export function stripeFailure(err: unknown): TransferFailure {
  if (!(err instanceof Stripe.errors.StripeError)) {
    return transferFailure('UNEXPECTED_ERROR', err instanceof Error ? err.message : String(err));
  }
  const message = err.message || err.type;
  const status = err.statusCode ?? 0;
  if (err.type === 'StripeRateLimitError' || status === 429 || err.code === 'rate_limit') {
    return transferFailure('STRIPE_RATE_LIMITED', message);
  }
  // A concurrent request with the same key still under way: it may make the transfer.
  if (status === 409) {
    return transferFailure('STRIPE_IDEMPOTENCY_CONFLICT', message);
  }
  if (err.code === 'balance_insufficient') {
    return transferFailure('STRIPE_BALANCE_INSUFFICIENT', message);
  }
  if (err.code === 'resource_missing' && (err.param === 'destination' || err.param === 'id')) {
    return transferFailure('PAYOUT_ACCOUNT_MISSING', message);
  }
  if (
    (err.code !== undefined && ACCOUNT_PROBLEMS.has(err.code)) ||
    err.type === 'StripePermissionError'
  ) {
    return transferFailure('PAYOUTS_NOT_ENABLED', message);
  }
  if (err.type === 'StripeConnectionError' || err.type === 'StripeAPIError' || status >= 500) {
    return transferFailure('STRIPE_UNAVAILABLE', message);
  }
  return transferFailure('STRIPE_ERROR', message);
}
