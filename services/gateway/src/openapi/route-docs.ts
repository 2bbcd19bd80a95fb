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
  response: { status: number; schema: string; description: string; example?: unknown };
  errors?: readonly DocumentedError[];
}

const NOT_REGISTERED: DocumentedError = {
  status: 404,
  code: 'ACCOUNT_NOT_FOUND',
  when: 'the caller has not registered (POST /accounts)',
};

/**
 * One entry per route of GATEWAY_ROUTES, keyed `METHOD path`. A spec fails when a table route has
 * no entry here, so the served document is complete for every route a client can call.
 */
export const ROUTE_DOCS: Record<string, RouteDoc> = {
  'GET /referrals/founding-status': {
    operationId: 'getFoundingStatus',
    summary: 'Founding instructor program: bonuses awarded and spots left (public)',
    response: {
      status: 200,
      schema: 'FoundingStatus',
      description: 'the program now',
      example: {
        cap: 100,
        awarded: 58,
        spotsLeft: 42,
        foundingBonus: { amountCents: 7500, currency: 'USD' },
        standardBonus: { amountCents: 5000, currency: 'USD' },
      },
    },
  },
  'POST /accounts': {
    operationId: 'registerAccount',
    summary: "Registers the signed-in user's account, optionally with a referral code",
    request: 'RegisterAccount',
    requestExample: { role: 'instructor', email: 'ana@example.com', displayName: 'Ana' },
    response: { status: 201, schema: 'Account', description: 'the new account' },
    errors: [
      { status: 409, code: 'ACCOUNT_ALREADY_REGISTERED', when: 'the user already registered' },
      { status: 409, code: 'EMAIL_TAKEN', when: 'another account uses the email' },
      { status: 403, code: 'ROLE_MISMATCH', when: "the role is not one of the token's roles" },
    ],
  },
  'GET /accounts/me': {
    operationId: 'getMyAccount',
    summary: "The signed-in user's account",
    response: { status: 200, schema: 'Account', description: 'the account' },
    errors: [NOT_REGISTERED],
  },
  'PUT /accounts/me/payout-account': {
    operationId: 'setPayoutAccount',
    summary: "Connects the instructor's Stripe account for cash payouts",
    request: 'SetPayoutAccount',
    requestExample: { stripeAccountId: 'acct_1Example' },
    response: { status: 200, schema: 'Account', description: 'the account' },
    errors: [NOT_REGISTERED],
  },
  'POST /accounts/me/go-live': {
    operationId: 'goLive',
    summary: 'Makes the instructor bookable',
    response: { status: 200, schema: 'Account', description: 'the account, live' },
    errors: [
      NOT_REGISTERED,
      { status: 422, code: 'PAYOUT_ACCOUNT_REQUIRED', when: 'no payout account connected yet' },
    ],
  },
  'POST /bookings': {
    operationId: 'createBooking',
    summary: 'Books a lesson with a live instructor',
    request: 'CreateBooking',
    requestExample: {
      instructorId: '0b6f5a8e-2f4c-4a1e-9c3d-7e8f9a0b1c2d',
      startsAt: '2027-01-04T15:00:00.000Z',
      endsAt: '2027-01-04T16:00:00.000Z',
      priceCents: 8000,
    },
    response: { status: 201, schema: 'Booking', description: 'the confirmed booking' },
    errors: [
      NOT_REGISTERED,
      { status: 422, code: 'INSTRUCTOR_NOT_LIVE', when: 'the instructor is not bookable' },
      { status: 422, code: 'INVALID_LESSON_TIME', when: 'end before start, or too long' },
    ],
  },
  'GET /bookings/:id': {
    operationId: 'getBooking',
    summary: 'One of the caller’s bookings (as its student or instructor)',
    response: { status: 200, schema: 'Booking', description: 'the booking' },
    errors: [{ status: 404, code: 'BOOKING_NOT_FOUND', when: 'no such booking' }],
  },
  'POST /bookings/:id/complete': {
    operationId: 'completeBooking',
    summary: 'The instructor marks a started lesson completed',
    response: { status: 200, schema: 'Booking', description: 'the booking, completed' },
    errors: [
      { status: 404, code: 'BOOKING_NOT_FOUND', when: 'no such booking' },
      { status: 409, code: 'BOOKING_NOT_CONFIRMED', when: 'cancelled or already completed' },
      { status: 422, code: 'LESSON_NOT_STARTED', when: 'the lesson has not started yet' },
    ],
  },
  'GET /referrals/me': {
    operationId: 'getMyReferrals',
    summary: "The caller's referral code, share link, referrer and earnings",
    response: { status: 200, schema: 'ReferralStats', description: 'the referral stats' },
    errors: [
      { status: 404, code: 'CODE_NOT_READY', when: 'the code is issued shortly after signup' },
    ],
  },
  'GET /referrals/me/referred-instructors': {
    operationId: 'getReferredInstructors',
    summary: 'Instructors the caller referred, with where each stands',
    response: { status: 200, schema: 'ReferredInstructors', description: 'newest first' },
  },
  'GET /wallet/me': {
    operationId: 'getMyWallet',
    summary: "The caller's credit balances, pending rewards and credit expiring soon",
    response: { status: 200, schema: 'WalletBalance', description: 'the balances' },
  },
  'GET /wallet/me/history': {
    operationId: 'getMyWalletHistory',
    summary: "A page of the caller's wallet entries, newest first",
    query: {
      limit: { type: 'integer', minimum: 1, maximum: 100, description: 'page size, default 20' },
      cursor: { type: 'string', pattern: '^[1-9][0-9]{0,17}$', description: 'nextCursor' },
    },
    response: { status: 200, schema: 'WalletHistoryPage', description: 'one page' },
  },
  'GET /payouts/me': {
    operationId: 'getMyPayouts',
    summary: "The caller's cash payouts and their transfer state",
    response: { status: 200, schema: 'Payouts', description: 'newest first' },
  },
  'POST /webhooks/stripe': {
    operationId: 'stripeWebhook',
    summary: 'Stripe events (transfer.failed, transfer.reversed); signature verified by payouts',
    response: { status: 200, schema: 'Acknowledged', description: 'applied or ignored' },
    errors: [
      { status: 400, code: 'STRIPE_SIGNATURE_INVALID', when: 'missing, wrong or stale signature' },
    ],
  },
};
