import { MappedError } from '@rewards/service-kit';

export type ReferralsErrorCode = 'CODE_NOT_READY' | 'NOT_AN_INSTRUCTOR' | 'NOT_LIVE_YET';

/** The one error type of the referrals service: a stable code and a reason for the caller. */
export class ReferralsError extends Error {
  constructor(
    readonly code: ReferralsErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ReferralsError';
  }
}

export function referralsErrorStatus(code: ReferralsErrorCode): number {
  switch (code) {
    case 'CODE_NOT_READY':
      return 404;
    case 'NOT_AN_INSTRUCTOR':
      return 403;
    case 'NOT_LIVE_YET':
      return 409;
  }
}

export function mapReferralsError(err: unknown): MappedError | undefined {
  if (!(err instanceof ReferralsError)) return undefined;
  return { status: referralsErrorStatus(err.code), code: err.code, message: err.message };
}
