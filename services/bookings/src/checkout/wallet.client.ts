import { Inject, Injectable, Logger } from '@nestjs/common';
import { Currency } from '@rewards/contracts';
import { serviceCallHeaders } from '@rewards/service-kit';
import { BookingsError } from '../bookings-error';
import { BookingsConfig } from '../config/bookings.config';

export interface CheckoutFunds {
  creditCents: number;
  feeRebateCents: number;
}

export interface ReserveRequest {
  bookingId: string;
  studentId: string;
  creditCents: number;
  instructorId: string;
  feeRebateCents: number;
  currency: Currency;
}

/**
 * The wallet refused to hold the funds (not enough left, or this checkout's hold was already
 * given back): the quote no longer holds.
 */
export class FundsShort extends Error {
  constructor(readonly details: unknown) {
    super('the wallet no longer has what the quote applied');
  }
}

/**
 * The wallet's internal checkout API, called synchronously with a timeout. Every call carries
 * the checkout's reference, so a retry (after a timeout, by a second replica) does nothing new.
 */
@Injectable()
export class WalletClient {
  private readonly logger = new Logger(WalletClient.name);

  constructor(@Inject(BookingsConfig) private readonly config: BookingsConfig) {}

  async funds(studentId: string, instructorId: string, currency: Currency): Promise<CheckoutFunds> {
    const query = new URLSearchParams({ studentId, instructorId, currency });
    const body = (await this.call(
      'GET',
      `/internal/checkout-funds?${query.toString()}`,
    )) as Partial<CheckoutFunds>;
    if (!Number.isSafeInteger(body.creditCents) || !Number.isSafeInteger(body.feeRebateCents)) {
      throw unavailable('the wallet answered without balances');
    }
    return { creditCents: body.creditCents!, feeRebateCents: body.feeRebateCents! };
  }

  /** Holds the funds; throws FundsShort when the wallet has less than asked. */
  async reserve(reference: string, request: ReserveRequest): Promise<void> {
    await this.call('PUT', `/internal/reservations/${encodeURIComponent(reference)}`, request);
  }

  async capture(reference: string): Promise<void> {
    await this.call('POST', `/internal/reservations/${encodeURIComponent(reference)}/capture`);
  }

  /** Gives held or captured funds back; the booking events finish it if this call fails. */
  async giveBack(reference: string, reason: 'not_confirmed' | 'booking_cancelled'): Promise<void> {
    await this.call('POST', `/internal/reservations/${encodeURIComponent(reference)}/return`, {
      reason,
    });
  }

  /** Like giveBack, but a failure is only logged: the wallet's sweep or an event settles it. */
  async tryGiveBack(
    reference: string,
    reason: 'not_confirmed' | 'booking_cancelled',
  ): Promise<void> {
    await this.giveBack(reference, reason).catch((err: unknown) =>
      this.logger.warn({ message: 'wallet return failed', reference, reason, err: String(err) }),
    );
  }

  private async call(method: string, path: string, body?: object): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(new URL(path, this.config.WALLET_URL), {
        method,
        // Signed as bookings: the wallet answers its checkout routes to no one else.
        headers: {
          ...serviceCallHeaders({
            from: 'bookings',
            to: 'wallet',
            key: this.config.INTERNAL_AUTH_KEY,
          }),
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(this.config.WALLET_TIMEOUT_MS),
      });
    } catch (err) {
      throw unavailable(
        `the wallet did not answer: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    const answer = (await response.json().catch(() => undefined)) as
      { error?: { code?: string; details?: unknown } } | undefined;
    if (response.ok) return answer ?? {};
    const code = answer?.error?.code;
    if (
      response.status === 409 &&
      (code === 'INSUFFICIENT_CREDIT' || code === 'RESERVATION_RELEASED')
    ) {
      throw new FundsShort(answer?.error?.details);
    }
    // Anything else is the wallet's or this service's fault, never the student's.
    this.logger.error({
      message: 'wallet refused a checkout call',
      method,
      path,
      status: response.status,
      answer,
    });
    throw unavailable(`the wallet answered ${response.status}`);
  }
}

function unavailable(message: string): BookingsError {
  return new BookingsError(
    'WALLET_UNAVAILABLE',
    `checkout cannot reach the wallet now (${message}); retry`,
  );
}
