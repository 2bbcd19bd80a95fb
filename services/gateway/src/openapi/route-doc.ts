import type { JsonSchema } from './json-schema';

/** A domain refusal an upstream may answer on a route, besides the platform's codes. */
export interface DocumentedError {
  status: number;
  code: string;
  when: string;
}

/** What the API document says of one route of the table. */
export interface RouteDoc {
  operationId: string;
  summary: string;
  /** Named schema (components) of the JSON body. */
  request?: string;
  requestExample?: unknown;
  query?: Record<string, JsonSchema>;
  /** `schema` names the JSON answer; a redirect has none, only `headers`. */
  response: {
    status: number;
    schema?: string;
    description: string;
    example?: unknown;
    headers?: Record<string, string>;
  };
  errors?: readonly DocumentedError[];
}

export const NOT_REGISTERED: DocumentedError = {
  status: 404,
  code: 'ACCOUNT_NOT_FOUND',
  when: 'the caller has not registered (POST /accounts)',
};

// Another user's booking answers the same as none: its existence is not told.
export const BOOKING_NOT_FOUND: DocumentedError = {
  status: 404,
  code: 'BOOKING_NOT_FOUND',
  when: 'no such booking of the caller',
};

export const QUOTE_ERRORS: readonly DocumentedError[] = [
  { status: 404, code: 'QUOTE_NOT_FOUND', when: "no such quote of the caller's" },
  { status: 409, code: 'QUOTE_EXPIRED', when: 'the quote expired: ask for a new one' },
  { status: 409, code: 'QUOTE_NO_LONGER_HOLDS', when: 'the wallet no longer has what it applied' },
  { status: 422, code: 'QUOTE_SIGNATURE_INVALID', when: 'the signature was altered' },
  { status: 422, code: 'QUOTE_MISMATCH', when: 'the lesson differs from the quoted one' },
  { status: 503, code: 'WALLET_UNAVAILABLE', when: 'the wallet did not answer; retry' },
];

export const PAYMENT_ERRORS: readonly DocumentedError[] = [
  {
    status: 422,
    code: 'PAYMENT_METHOD_REQUIRED',
    when: 'the lesson costs money and no paymentMethodId was sent',
  },
  {
    status: 422,
    code: 'PAYMENT_METHOD_INVALID',
    when: 'paymentMethodId is not a Stripe card payment method (pm_...) Stripe knows',
  },
  {
    status: 402,
    code: 'PAYMENT_DECLINED',
    when: 'the card was declined: nothing booked, charged or held; pay with another card',
  },
  { status: 503, code: 'PAYMENT_UNAVAILABLE', when: 'Stripe did not answer; retry' },
];

/** Cancelling or refunding gives the card charge back first. */
export const REFUND_UNAVAILABLE: DocumentedError = {
  status: 503,
  code: 'PAYMENT_UNAVAILABLE',
  when: 'Stripe could not refund the charge now: nothing changed; retry',
};

export const REWARD_NOT_FOUND: DocumentedError = {
  status: 404,
  code: 'REWARD_NOT_FOUND',
  when: 'no such student reward',
};

/** An example amount. */
export const money = (amountCents: number) => ({ amountCents, currency: 'USD' });
/** Ids the examples use. */
export const IDS = {
  user: '5d0c2a9e-8a4f-4b7e-9c1d-2e3f4a5b6c7d',
  other: '0b6f5a8e-2f4c-4a1e-9c3d-7e8f9a0b1c2d',
};
