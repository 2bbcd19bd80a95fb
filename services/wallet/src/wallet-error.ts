import { MappedError } from '@rewards/service-kit';

export type WalletErrorCode =
  | 'INSUFFICIENT_CREDIT'
  | 'UNBALANCED_TRANSACTION'
  | 'MIXED_CURRENCIES'
  | 'INVALID_LEG_AMOUNT'
  | 'INVALID_ACCOUNT_REF'
  | 'EMPTY_TRANSACTION'
  | 'INVALID_REFERENCE'
  | 'INVALID_AMOUNT'
  | 'REFERENCE_REUSED'
  | 'RESERVATION_NOT_FOUND'
  | 'RESERVATION_RELEASED';

/** The one error type of the wallet service: a stable code and a reason for the caller. */
export class WalletError extends Error {
  constructor(
    readonly code: WalletErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'WalletError';
  }
}

function walletErrorStatus(code: WalletErrorCode): number {
  switch (code) {
    case 'INSUFFICIENT_CREDIT':
    case 'REFERENCE_REUSED':
    case 'RESERVATION_RELEASED':
      return 409;
    case 'RESERVATION_NOT_FOUND':
      return 404;
    case 'UNBALANCED_TRANSACTION':
    case 'MIXED_CURRENCIES':
    case 'INVALID_LEG_AMOUNT':
    case 'INVALID_ACCOUNT_REF':
    case 'EMPTY_TRANSACTION':
    case 'INVALID_REFERENCE':
    case 'INVALID_AMOUNT':
      return 422;
  }
}

export function mapWalletError(err: unknown): MappedError | undefined {
  if (!(err instanceof WalletError)) return undefined;
  return {
    status: walletErrorStatus(err.code),
    code: err.code,
    message: err.message,
    ...(err.details ? { details: err.details } : {}),
  };
}
