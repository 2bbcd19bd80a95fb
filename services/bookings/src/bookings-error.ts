import { MappedError, RETRY_AFTER_SECONDS } from '@rewards/service-kit';

export type BookingsErrorCode =
  | 'ACCOUNT_NOT_FOUND'
  | 'ACCOUNT_ALREADY_REGISTERED'
  | 'EMAIL_TAKEN'
  | 'ROLE_MISMATCH'
  | 'NOT_AN_INSTRUCTOR'
  | 'PAYOUT_ACCOUNT_REQUIRED'
  | 'INSTRUCTOR_NOT_LIVE'
  | 'BOOKING_NOT_FOUND'
  | 'BOOKING_NOT_CONFIRMED'
  | 'LESSON_NOT_STARTED'
  | 'INVALID_LESSON_TIME'
  | 'QUOTE_NOT_FOUND'
  | 'QUOTE_SIGNATURE_INVALID'
  | 'QUOTE_MISMATCH'
  | 'QUOTE_EXPIRED'
  | 'QUOTE_NO_LONGER_HOLDS'
  | 'WALLET_UNAVAILABLE'
  | 'PAYMENT_METHOD_REQUIRED'
  | 'PAYMENT_METHOD_INVALID'
  | 'PAYMENT_DECLINED'
  | 'PAYMENT_UNAVAILABLE'
  | 'ALREADY_VERIFIED'
  | 'PHONE_TAKEN'
  | 'VERIFICATION_RATE_LIMITED'
  | 'VERIFICATION_NOT_REQUESTED'
  | 'VERIFICATION_CODE_INVALID'
  | 'VERIFICATION_CODE_EXPIRED'
  | 'VERIFICATION_ATTEMPTS_EXCEEDED'
  | 'VERIFICATION_DELIVERY_FAILED';

/** The one error type of the bookings service: a stable code and a reason for the caller. */
export class BookingsError extends Error {
  constructor(
    readonly code: BookingsErrorCode,
    message: string,
    /** The field at fault, or that and how long to wait before asking again. */
    fieldOrExtra: string | { field?: string; retryAfterSeconds?: number } = {},
  ) {
    super(message);
    this.name = 'BookingsError';
    this.extra = typeof fieldOrExtra === 'string' ? { field: fieldOrExtra } : fieldOrExtra;
  }

  readonly extra: { field?: string; retryAfterSeconds?: number };
}

function bookingsErrorStatus(code: BookingsErrorCode): number {
  switch (code) {
    case 'ACCOUNT_NOT_FOUND':
    case 'BOOKING_NOT_FOUND':
    case 'QUOTE_NOT_FOUND':
      return 404;
    case 'ACCOUNT_ALREADY_REGISTERED':
    case 'EMAIL_TAKEN':
    case 'BOOKING_NOT_CONFIRMED':
    case 'QUOTE_EXPIRED':
    case 'QUOTE_NO_LONGER_HOLDS':
    case 'ALREADY_VERIFIED':
    case 'PHONE_TAKEN':
      return 409;
    case 'VERIFICATION_RATE_LIMITED':
      return 429;
    case 'VERIFICATION_DELIVERY_FAILED':
      return 503;
    case 'VERIFICATION_NOT_REQUESTED':
    case 'VERIFICATION_CODE_INVALID':
    case 'VERIFICATION_CODE_EXPIRED':
    case 'VERIFICATION_ATTEMPTS_EXCEEDED':
      return 422;
    case 'ROLE_MISMATCH':
    case 'NOT_AN_INSTRUCTOR':
      return 403;
    case 'PAYOUT_ACCOUNT_REQUIRED':
    case 'INSTRUCTOR_NOT_LIVE':
    case 'LESSON_NOT_STARTED':
    case 'INVALID_LESSON_TIME':
    case 'QUOTE_SIGNATURE_INVALID':
    case 'QUOTE_MISMATCH':
      return 422;
    case 'PAYMENT_METHOD_REQUIRED':
    case 'PAYMENT_METHOD_INVALID':
      return 422;
    case 'PAYMENT_DECLINED':
      return 402;
    case 'WALLET_UNAVAILABLE':
    case 'PAYMENT_UNAVAILABLE':
      return 503;
  }
}

export function mapBookingsError(err: unknown): MappedError | undefined {
  if (!(err instanceof BookingsError)) return undefined;
  const status = bookingsErrorStatus(err.code);
  const retryAfterSeconds =
    err.extra.retryAfterSeconds ?? (status === 503 ? RETRY_AFTER_SECONDS : undefined);
  return {
    status,
    code: err.code,
    message: err.message,
    ...(err.extra.field ? { field: err.extra.field } : {}),
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
  };
}
