import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Currency } from '@rewards/contracts';
import {
  INTERNAL_TOKEN_HEADER,
  InternalTokenSigner,
  UpstreamCallError,
  UpstreamClient,
  type UpstreamAnswer,
} from '@rewards/service-kit';
import { BookingsError } from '../bookings-error';
import { BookingsConfig } from '../config/bookings.config';
import { CaptureBatcher } from './capture-batcher';

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

/** Calls in a row that got no answer before checkout stops calling the wallet for a while... */
const CIRCUIT_FAILURE_THRESHOLD = 5;
/** ...this long: checkouts answer 503 WALLET_UNAVAILABLE at once, then one call tests it. */
const CIRCUIT_OPEN_MS = 2000;

/**
 * The wallet's internal checkout API, called synchronously with a timeout over a bounded
 * keep-alive pool (WALLET_MAX_SOCKETS; calls beyond it queue instead of opening connection after
 * connection under load). Every call carries the checkout's reference, so a retry (a kept-alive
 * socket the wallet had just closed, a timeout, a second replica) does nothing new.
 */
@Injectable()
export class WalletClient implements OnApplicationShutdown {
  private readonly logger = new Logger(WalletClient.name);
  private readonly client: UpstreamClient;
  /** One token a second for every call, instead of an HMAC per call: the same bytes either way. */
  private readonly signer: InternalTokenSigner;
  /** Captures wait here a few milliseconds, so that one call and one transaction take many. */
  private readonly captures: CaptureBatcher;

  constructor(@Inject(BookingsConfig) config: BookingsConfig) {
    this.signer = new InternalTokenSigner(config.INTERNAL_AUTH_KEY);
    this.client = new UpstreamClient({
      name: 'wallet',
      baseUrl: config.WALLET_URL,
      timeoutMs: config.WALLET_TIMEOUT_MS,
      maxSockets: config.WALLET_MAX_SOCKETS,
      failureThreshold: CIRCUIT_FAILURE_THRESHOLD,
      openMs: CIRCUIT_OPEN_MS,
      callsAreIdempotent: true,
    });
    this.captures = new CaptureBatcher(
      (references) => this.captureBatch(references),
      config.WALLET_CAPTURE_BATCH_MS,
      (references, err) =>
        this.logger.warn({
          message: 'wallet batch capture failed; booking-confirmed will capture its holds',
          references: references.length,
          first: references[0],
          err: String(err),
        }),
    );
  }

  /** What waits to be captured is sent first (each call bounded by WALLET_TIMEOUT_MS). */
  async onApplicationShutdown(): Promise<void> {
    await this.captures.flush();
    this.client.close();
  }

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

  /**
   * Asks the wallet to capture the hold soon, in a batch with others (WALLET_CAPTURE_BATCH_MS);
   * returns at once and never fails: booking-confirmed, committed with the booking, makes the
   * wallet capture it anyway, and this only makes it sooner.
   */
  capture(reference: string): void {
    this.captures.add(reference);
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

  private async captureBatch(references: string[]): Promise<void> {
    const answer = (await this.call('POST', '/internal/reservations/capture', {
      references,
    })) as { captures?: Array<{ reference: string; outcome: string; code?: string }> };
    const refused = (answer.captures ?? []).filter((c) => c.outcome !== 'captured');
    if (refused.length > 0) {
      // A confirmed booking's hold not found or given back: the wallet's events will tell.
      this.logger.warn({
        message: 'wallet refused to capture holds',
        refused: refused.map((c) => ({ reference: c.reference, code: c.code })),
      });
    }
  }

  private token(): string {
    return this.signer.sign({ iss: 'bookings', aud: 'wallet' });
  }

  private async call(method: string, path: string, body?: object): Promise<unknown> {
    const payload = body ? JSON.stringify(body) : undefined;
    let response: UpstreamAnswer;
    try {
      response = await this.client.send({
        method,
        path: `${this.client.basePath}${path}`,
        // Signed as bookings: the wallet answers its checkout routes to no one else.
        headers: payload
          ? { [INTERNAL_TOKEN_HEADER]: this.token(), 'content-type': 'application/json' }
          : { [INTERNAL_TOKEN_HEADER]: this.token() },
        body: payload,
      });
    } catch (err) {
      if (!(err instanceof UpstreamCallError)) throw err;
      // The socket error too: "unavailable" alone does not tell a reset from a refusal.
      const reason = err.causeCode ? `${err.message} (${err.causeCode})` : err.message;
      this.logger.warn({ message: 'wallet call failed', method, path, reason: err.reason });
      throw unavailable(`the wallet did not answer: ${reason}`);
    }
    const answer = parseJson(response.body) as
      { error?: { code?: string; details?: unknown } } | undefined;
    if (response.status >= 200 && response.status < 300) return answer ?? {};
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

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function unavailable(message: string): BookingsError {
  return new BookingsError(
    'WALLET_UNAVAILABLE',
    `checkout cannot reach the wallet now (${message}); retry`,
  );
}
