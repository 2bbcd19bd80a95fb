// Shapes the fake returns and accepts; fields follow the Stripe API.

export interface FakeStripeAccount {
  id: string;
  object: 'account';
  type: 'express';
  country: string;
  default_currency: string;
  email: string | null;
  charges_enabled: boolean;
  payouts_enabled: boolean;
  details_submitted: boolean;
  capabilities: { transfers: 'active' | 'inactive' };
  metadata: Record<string, string>;
  created: number;
}

export interface FakeStripeTransfer {
  id: string;
  object: 'transfer';
  amount: number;
  amount_reversed: number;
  currency: string;
  destination: string;
  transfer_group: string | null;
  description: string | null;
  metadata: Record<string, string>;
  reversed: boolean;
  livemode: false;
  created: number;
}

export interface FakeStripePaymentMethod {
  id: string;
  object: 'payment_method';
  type: 'card';
  card: {
    brand: string;
    last4: string;
    exp_month: number;
    exp_year: number;
    /** The same for every payment method made from one card number. */
    fingerprint: string;
    funding: 'credit';
    country: 'US';
  };
  metadata: Record<string, string>;
  livemode: false;
  created: number;
}

export type FakeStripePaymentIntentStatus =
  'requires_payment_method' | 'requires_confirmation' | 'succeeded';

export interface FakeStripePaymentIntent {
  id: string;
  object: 'payment_intent';
  amount: number;
  amount_received: number;
  currency: string;
  payment_method: string | null;
  status: FakeStripePaymentIntentStatus;
  latest_charge: string | null;
  last_payment_error: StripeErrorBody | null;
  description: string | null;
  metadata: Record<string, string>;
  livemode: false;
  created: number;
}

export interface FakeStripeRefund {
  id: string;
  object: 'refund';
  amount: number;
  currency: string;
  payment_intent: string;
  charge: string;
  reason: string | null;
  status: 'succeeded';
  metadata: Record<string, string>;
  created: number;
}

export interface StripeErrorBody {
  type: string;
  message: string;
  code?: string;
  param?: string;
  /** On a card_error: the issuer's reason, e.g. generic_decline, insufficient_funds. */
  decline_code?: string;
  /** On a declined confirmation: the PaymentIntent as it was left. */
  payment_intent?: FakeStripePaymentIntent;
}

export interface InjectedFailure extends StripeErrorBody {
  status: number;
  /** Only requests to this endpoint fail, e.g. 'POST /v1/transfers'; default any. */
  endpoint?: string;
  /** Sets the Stripe-Should-Retry header, which the SDK obeys over its own rules. */
  shouldRetry?: boolean;
  /**
   * The request is carried out (and its result kept for its idempotency key) though the client
   * gets the failure: a 409 whose concurrent twin made the transfer, a timeout after Stripe made it.
   */
  executed?: boolean;
  /** The answer is held back this long, so a client with a shorter timeout gives up first. */
  delayMs?: number;
}

export interface InjectedDelay {
  /** Only requests to this endpoint are delayed, e.g. 'POST /v1/transfers'. */
  endpoint: string;
  /** How long the answer is held back after the request was carried out. */
  delayMs: number;
}

export interface FakeStripeRequest {
  /** When the request arrived (epoch ms, wall clock): rates are measured on it. */
  receivedAt: number;
  method: string;
  path: string;
  idempotencyKey: string | undefined;
  status: number;
  replayed: boolean;
  /** When the answer went out (epoch ms); absent while it is held back, or the client left. */
  answeredAt?: number;
}
