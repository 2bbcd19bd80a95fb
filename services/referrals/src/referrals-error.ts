import { MappedError } from '@rewards/service-kit';

export type ReferralsErrorCode =
  | 'CODE_NOT_READY'
  | 'NOT_AN_INSTRUCTOR'
  | 'NOT_LIVE_YET'
  | 'ALREADY_ATTRIBUTED'
  | 'CLAIM_WINDOW_CLOSED'
  | 'UNKNOWN_CODE'
  | 'CLAIM_REFUSED'
  | 'REWARD_NOT_FOUND'
  | 'REVIEW_NOT_PENDING'
  | 'USER_NOT_FOUND'
  | 'CONFIG_INVALID';

/** The one error type of the referrals service: a stable code and a reason for the caller. */
export class ReferralsError extends Error {
  constructor(
    readonly code: ReferralsErrorCode,
    message: string,
    readonly extra: { field?: string; reason?: string } = {},
  ) {
    super(message);
    this.name = 'ReferralsError';
  }
}

function referralsErrorStatus(code: ReferralsErrorCode): number {
  switch (code) {
    case 'CODE_NOT_READY':
    case 'REWARD_NOT_FOUND':
    case 'USER_NOT_FOUND':
      return 404;
    case 'NOT_AN_INSTRUCTOR':
      return 403;
    case 'NOT_LIVE_YET':
    case 'ALREADY_ATTRIBUTED':
    case 'REVIEW_NOT_PENDING':
      return 409;
    case 'CLAIM_WINDOW_CLOSED':
    case 'UNKNOWN_CODE':
    case 'CLAIM_REFUSED':
    case 'CONFIG_INVALID':
      return 422;
  }
}

export function mapReferralsError(err: unknown): MappedError | undefined {
  if (!(err instanceof ReferralsError)) return undefined;
  return {
    status: referralsErrorStatus(err.code),
    code: err.code,
    message: err.message,
    ...(err.extra.field ? { field: err.extra.field } : {}),
    ...(err.extra.reason ? { details: { reason: err.extra.reason } } : {}),
  };
}
