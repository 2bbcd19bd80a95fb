import { MappedError } from '@rewards/service-kit';

export type BookingsErrorCode =
  | 'ACCOUNT_NOT_FOUND'
  | 'ACCOUNT_ALREADY_REGISTERED'
  | 'EMAIL_TAKEN'
  | 'ROLE_MISMATCH'
  | 'NOT_AN_INSTRUCTOR'
  | 'PAYOUT_ACCOUNT_REQUIRED'
  | 'INSTRUCTOR_NOT_LIVE'
  | 'BOOKING_NOT_FOUND'
  | 'BOOKING_NOT_YOURS'
  | 'BOOKING_NOT_CONFIRMED'
  | 'LESSON_NOT_STARTED'
  | 'INVALID_LESSON_TIME';

/** The one error type of the bookings service: a stable code and a reason for the caller. */
export class BookingsError extends Error {
  constructor(
    readonly code: BookingsErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'BookingsError';
  }
}

export function bookingsErrorStatus(code: BookingsErrorCode): number {
  switch (code) {
    case 'ACCOUNT_NOT_FOUND':
    case 'BOOKING_NOT_FOUND':
      return 404;
    case 'ACCOUNT_ALREADY_REGISTERED':
    case 'EMAIL_TAKEN':
    case 'BOOKING_NOT_CONFIRMED':
      return 409;
    case 'ROLE_MISMATCH':
    case 'NOT_AN_INSTRUCTOR':
    case 'BOOKING_NOT_YOURS':
      return 403;
    case 'PAYOUT_ACCOUNT_REQUIRED':
    case 'INSTRUCTOR_NOT_LIVE':
    case 'LESSON_NOT_STARTED':
    case 'INVALID_LESSON_TIME':
      return 422;
  }
}

export function mapBookingsError(err: unknown): MappedError | undefined {
  if (!(err instanceof BookingsError)) return undefined;
  return { status: bookingsErrorStatus(err.code), code: err.code, message: err.message };
}
