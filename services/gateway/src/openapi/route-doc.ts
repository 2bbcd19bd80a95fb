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

/**
 * The refusals of a route on one of the caller's own resources: another user's answers the same
 * as none (404), so its existence is not told.
 */
export const ownedResourceErrors = (code: string, what: string): DocumentedError[] => [
  { status: 404, code, when: `no such ${what} of the caller` },
];

const WALLET_UNAVAILABLE: DocumentedError = {
  status: 503,
  code: 'WALLET_UNAVAILABLE',
  when: 'the wallet did not answer; retry',
};

/** What refuses a lesson, quoted or booked. */
export const LESSON_ERRORS: readonly DocumentedError[] = [
  { status: 422, code: 'INSTRUCTOR_NOT_LIVE', when: 'the instructor is not bookable' },
  { status: 422, code: 'INVALID_LESSON_TIME', when: 'end before start, or too long' },
];

/** A checkout's quote: the wallet's answer at quote time, and what refuses it at booking. */
export const QUOTE_ERRORS: readonly DocumentedError[] = [
  { status: 404, code: 'QUOTE_NOT_FOUND', when: "the quote is another student's" },
  { status: 409, code: 'QUOTE_EXPIRED', when: 'the quote expired: ask for a new one' },
  { status: 409, code: 'QUOTE_NO_LONGER_HOLDS', when: 'the wallet no longer has what it applied' },
  {
    status: 422,
    code: 'QUOTE_SIGNATURE_INVALID',
    when: "the signature was altered, is another quote's, or is of an older format",
  },
  { status: 422, code: 'QUOTE_MISMATCH', when: 'the lesson differs from the quoted one' },
  WALLET_UNAVAILABLE,
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

export const QUOTING_ERRORS: readonly DocumentedError[] = [...LESSON_ERRORS, WALLET_UNAVAILABLE];

/** The caller's referral code and its surfaces exist shortly after signup, not at once. */
export const CODE_NOT_READY: DocumentedError = {
  status: 404,
  code: 'CODE_NOT_READY',
  when: 'the code is issued shortly after signup',
};

/** An admin's decision on a student reward held for review. */
export const REVIEW_DECISION_ERRORS: readonly DocumentedError[] = [
  { status: 404, code: 'REWARD_NOT_FOUND', when: 'no such student reward' },
  { status: 409, code: 'REVIEW_NOT_PENDING', when: 'the reward is not in review' },
];

/**
 * The query of a list read page by page: `limit` items at most, from `cursor` (a page's
 * nextCursor); `cursorPattern` is what the service accepts as one.
 */
export const pageQuery = (
  cursorPattern: string,
  limitDescription?: string,
): Record<string, JsonSchema> => ({
  limit: {
    type: 'integer',
    minimum: 1,
    maximum: 100,
    ...(limitDescription === undefined ? {} : { description: limitDescription }),
  },
  cursor: { type: 'string', pattern: cursorPattern, description: 'nextCursor' },
});

/** An example amount. */
export const money = (amountCents: number) => ({ amountCents, currency: 'USD' });
/** Ids the examples use. */
export const IDS = {
  user: '5d0c2a9e-8a4f-4b7e-9c1d-2e3f4a5b6c7d',
  other: '0b6f5a8e-2f4c-4a1e-9c3d-7e8f9a0b1c2d',
};
