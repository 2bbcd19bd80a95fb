import { MappedError } from '@rewards/service-kit';

export type PayoutsErrorCode =
  'PAYOUT_NOT_FOUND' | 'PAYOUT_NOT_RETRYABLE' | 'STRIPE_SIGNATURE_INVALID';

/** The one error type of the payouts service: a stable code and a reason for the caller. */
export class PayoutsError extends Error {
  constructor(
    readonly code: PayoutsErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'PayoutsError';
  }
}

function payoutsErrorStatus(code: PayoutsErrorCode): number {
  switch (code) {
    case 'PAYOUT_NOT_FOUND':
      return 404;
    case 'PAYOUT_NOT_RETRYABLE':
      return 409;
    case 'STRIPE_SIGNATURE_INVALID':
      return 400;
  }
}

export function mapPayoutsError(err: unknown): MappedError | undefined {
  if (!(err instanceof PayoutsError)) return undefined;
  return { status: payoutsErrorStatus(err.code), code: err.code, message: err.message };
}
