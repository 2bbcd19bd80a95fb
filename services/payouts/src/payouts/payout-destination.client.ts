import { Inject, Injectable } from '@nestjs/common';
import { activeTraceparent, serviceCallHeaders } from '@rewards/service-kit';
import { PayoutsConfig } from '../config/payouts.config';
import { TransferFailure, transferFailure } from './transfer-failure';

export type PayoutDestination =
  { ok: true; stripeAccountId: string } | { ok: false; failure: TransferFailure };

export const BOOKINGS_TIMEOUT_MS = 5_000;

/** Asks bookings, which holds connected accounts, where a beneficiary's cash goes. */
@Injectable()
export class PayoutDestinationClient {
  constructor(@Inject(PayoutsConfig) private readonly config: PayoutsConfig) {}

  /** `timeoutMs`: at most the usual timeout; an attempt passes what is left of its budget. */
  async find(beneficiaryId: string, timeoutMs = BOOKINGS_TIMEOUT_MS): Promise<PayoutDestination> {
    const url = new URL(
      `/internal/accounts/${encodeURIComponent(beneficiaryId)}/payout-destination`,
      this.config.BOOKINGS_URL,
    );
    let response: Response;
    try {
      const traceparent = activeTraceparent();
      response = await fetch(url, {
        // Signed as payouts: bookings answers this route to no one else.
        headers: {
          ...serviceCallHeaders({
            from: 'payouts',
            to: 'bookings',
            key: this.config.INTERNAL_AUTH_KEY,
          }),
          ...(traceparent ? { traceparent } : {}),
        },
        signal: AbortSignal.timeout(Math.max(1, Math.min(timeoutMs, BOOKINGS_TIMEOUT_MS))),
      });
    } catch (err) {
      return unavailable(
        `bookings unreachable: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    // Not found, or no connected account yet: the user may still connect one, so it is retried.
    if (response.status === 404 || response.status === 422) {
      return {
        ok: false,
        failure: transferFailure(
          'PAYOUT_ACCOUNT_MISSING',
          `no connected payout account (bookings answered ${response.status})`,
        ),
      };
    }
    if (!response.ok) return unavailable(`bookings answered ${response.status}`);
    const body = (await response.json().catch(() => undefined)) as
      { stripeAccountId?: unknown } | undefined;
    const stripeAccountId = body?.stripeAccountId;
    if (typeof stripeAccountId !== 'string' || !stripeAccountId.startsWith('acct_')) {
      return unavailable('bookings answered without a stripeAccountId');
    }
    return { ok: true, stripeAccountId };
  }
}

function unavailable(message: string): PayoutDestination {
  return { ok: false, failure: transferFailure('BOOKINGS_UNAVAILABLE', message) };
}
