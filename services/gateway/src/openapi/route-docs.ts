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

const NOT_REGISTERED: DocumentedError = {
  status: 404,
  code: 'ACCOUNT_NOT_FOUND',
  when: 'the caller has not registered (POST /accounts)',
};

// Another user's booking answers the same as none: its existence is not told.
const BOOKING_NOT_FOUND: DocumentedError = {
  status: 404,
  code: 'BOOKING_NOT_FOUND',
  when: 'no such booking of the caller',
};

const QUOTE_ERRORS: readonly DocumentedError[] = [
  { status: 404, code: 'QUOTE_NOT_FOUND', when: "no such quote of the caller's" },
  { status: 409, code: 'QUOTE_EXPIRED', when: 'the quote expired: ask for a new one' },
  { status: 409, code: 'QUOTE_NO_LONGER_HOLDS', when: 'the wallet no longer has what it applied' },
  { status: 422, code: 'QUOTE_SIGNATURE_INVALID', when: 'the signature was altered' },
  { status: 422, code: 'QUOTE_MISMATCH', when: 'the lesson differs from the quoted one' },
  { status: 503, code: 'WALLET_UNAVAILABLE', when: 'the wallet did not answer; retry' },
];

const REWARD_NOT_FOUND: DocumentedError = {
  status: 404,
  code: 'REWARD_NOT_FOUND',
  when: 'no such student reward',
};

const money = (amountCents: number) => ({ amountCents, currency: 'USD' });
const IDS = {
  user: '5d0c2a9e-8a4f-4b7e-9c1d-2e3f4a5b6c7d',
  other: '0b6f5a8e-2f4c-4a1e-9c3d-7e8f9a0b1c2d',
  reward: '7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
  payout: '3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f',
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
    response: {
      status: 201,
      schema: 'RegisteredAccount',
      description: 'the new account, with what becomes of its referral',
      example: {
        id: '5d0c2a9e-8a4f-4b7e-9c1d-2e3f4a5b6c7d',
        role: 'student',
        email: 'fay@example.com',
        displayName: 'Fay',
        referralCode: null,
        emailVerified: false,
        phone: null,
        phoneVerified: false,
        payoutAccountConnected: false,
        live: false,
        liveAt: null,
        createdAt: '2027-01-04T15:00:00.000Z',
        referral: { outcome: 'pending', code: 'RITA-7K2Q', reason: null, message: null },
      },
    },
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
      ...QUOTE_ERRORS,
    ],
  },
  'GET /bookings/:id': {
    operationId: 'getBooking',
    summary: 'One of the caller’s bookings (as its student or instructor)',
    response: { status: 200, schema: 'Booking', description: 'the booking' },
    errors: [BOOKING_NOT_FOUND],
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
  'GET /referrals/program': {
    operationId: 'getStudentProgramTerms',
    summary: "The student program's terms for landing and terms pages (public)",
    response: {
      status: 200,
      schema: 'ProgramTerms',
      description: 'the terms now in force',
      example: {
        referrerReward: money(2000),
        refereeDiscount: money(2000),
        minimumLessonPrice: money(7500),
        attributionWindowDays: 30,
        attributionModel: 'last_click',
        holdDays: 7,
        creditLifetimeMonths: 6,
        requiresVerification: ['email', 'phone'],
        ftcDisclosure: 'Referrers earn credit when friends book a qualifying lesson.',
      },
    },
  },
  'GET /r/:slug': {
    operationId: 'followShareLink',
    summary:
      'A share link, opened by a browser: records the click and redirects to the landing page ' +
      '(public; the client follows the redirect, no JSON)',
    response: {
      status: 302,
      description:
        'to LANDING_URL?ref=CODE with the attribution cookies; an unknown or disabled slug ' +
        'redirects to LANDING_URL without them',
      headers: {
        Location: 'the landing page',
        'Set-Cookie': 'rp_ref (the click, 30 days, HttpOnly, SameSite=Lax) and rp_did (device)',
      },
    },
  },
  'POST /accounts/me/verification/:channel': {
    operationId: 'sendVerificationCode',
    summary: 'Sends a 6-digit code to verify the email or phone (channel: email | phone)',
    request: 'SendVerification',
    requestExample: { phone: '+14155550123' },
    response: {
      status: 202,
      schema: 'VerificationSent',
      description: 'the code is on its way',
      example: { channel: 'phone', sentTo: '********0123', expiresAt: '2027-01-04T15:10:00.000Z' },
    },
    errors: [
      NOT_REGISTERED,
      { status: 409, code: 'ALREADY_VERIFIED', when: 'the channel is verified already' },
      { status: 409, code: 'PHONE_TAKEN', when: 'another account verified the phone' },
      { status: 429, code: 'VERIFICATION_RATE_LIMITED', when: 'too many codes; see Retry-After' },
      { status: 503, code: 'VERIFICATION_DELIVERY_FAILED', when: 'the code could not be sent' },
    ],
  },
  'POST /accounts/me/verification/:channel/confirm': {
    operationId: 'confirmVerificationCode',
    summary: 'Checks the code last sent on the channel; a right one verifies it',
    request: 'ConfirmVerification',
    requestExample: { code: '123456' },
    response: {
      status: 200,
      schema: 'VerificationState',
      description: 'what is verified now',
      example: { emailVerified: true, phoneVerified: false },
    },
    errors: [
      NOT_REGISTERED,
      { status: 422, code: 'VERIFICATION_NOT_REQUESTED', when: 'no code was sent' },
      { status: 422, code: 'VERIFICATION_CODE_INVALID', when: 'wrong code (attempts left said)' },
      { status: 422, code: 'VERIFICATION_CODE_EXPIRED', when: 'the code expired or was used' },
      { status: 422, code: 'VERIFICATION_ATTEMPTS_EXCEEDED', when: 'too many wrong guesses' },
    ],
  },
  'POST /bookings/:id/cancel': {
    operationId: 'cancelBooking',
    summary: 'The student or instructor of a booking cancels it; checkout funds go back',
    response: { status: 200, schema: 'Booking', description: 'the booking, cancelled' },
    errors: [
      BOOKING_NOT_FOUND,
      { status: 409, code: 'BOOKING_NOT_CONFIRMED', when: 'cancelled or completed already' },
    ],
  },
  'POST /bookings/:id/refund': {
    operationId: 'refundBooking',
    summary: 'Support refunds a booking: its rewards are voided, within the hold or after',
    request: 'RefundBooking',
    requestExample: { reason: 'customer_request' },
    response: {
      status: 200,
      schema: 'RefundedBooking',
      description: 'the booking after the refund',
      example: { id: IDS.other, status: 'cancelled' },
    },
    errors: [
      { status: 404, code: 'BOOKING_NOT_FOUND', when: 'no such booking' },
      { status: 409, code: 'BOOKING_NOT_CONFIRMED', when: 'refunded or cancelled already' },
    ],
  },
  'POST /checkout/apply-referral': {
    operationId: 'quoteCheckout',
    summary:
      'Quotes a lesson with the one benefit that applies (referee discount or wallet credit, ' +
      'never both); book it with POST /bookings and the quote',
    request: 'ApplyReferral',
    requestExample: {
      instructorId: IDS.other,
      startsAt: '2027-01-04T15:00:00.000Z',
      endsAt: '2027-01-04T16:00:00.000Z',
      priceCents: 8000,
    },
    response: {
      status: 200,
      schema: 'CheckoutQuote',
      description: "the server's totals, to display as they are",
      example: {
        id: '9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f',
        instructorId: IDS.other,
        startsAt: '2027-01-04T15:00:00.000Z',
        endsAt: '2027-01-04T16:00:00.000Z',
        listPrice: money(8000),
        benefit: {
          kind: 'referee_discount',
          amount: money(2000),
          reason: 'first lesson of a referred student',
        },
        total: money(6000),
        platformFee: { amount: money(1200), beforeRebate: money(1200), rebate: money(0) },
        expiresAt: '2027-01-04T14:15:00.000Z',
        signature: 'q1.3k9Zb0YbQ6pQ',
      },
    },
    errors: [
      NOT_REGISTERED,
      { status: 422, code: 'INSTRUCTOR_NOT_LIVE', when: 'the instructor is not bookable' },
      { status: 422, code: 'INVALID_LESSON_TIME', when: 'end before start, or too long' },
      { status: 503, code: 'WALLET_UNAVAILABLE', when: 'the wallet did not answer; retry' },
    ],
  },
  'GET /referrals/me/live-popup': {
    operationId: 'getLivePopup',
    summary: "The instructor's one-time popup after going live (null before, and once seen)",
    response: {
      status: 200,
      schema: 'LivePopupAnswer',
      description: 'the popup, or null',
      example: {
        popup: {
          wentLiveAt: '2027-01-04T15:00:00.000Z',
          code: 'ANA-4F7Q',
          link: 'https://rewards.example.com/r/ANA-4F7Q',
          bonus: { founding: money(7500), standard: money(5000), foundingSpotsLeft: 42 },
          referredBy: null,
        },
      },
    },
    errors: [
      { status: 404, code: 'CODE_NOT_READY', when: 'the code is issued shortly after signup' },
    ],
  },
  'POST /referrals/me/live-popup/ack': {
    operationId: 'acknowledgeLivePopup',
    summary: 'The instructor has seen the popup; it is not shown again',
    response: {
      status: 200,
      schema: 'LivePopupAcknowledged',
      description: 'when it was acknowledged (the first time)',
      example: { acknowledgedAt: '2027-01-04T15:01:00.000Z' },
    },
    errors: [{ status: 409, code: 'NOT_LIVE_YET', when: 'the instructor has not gone live' }],
  },
  'POST /referrals/claim': {
    operationId: 'claimReferralCode',
    summary: 'Names the code that referred the caller when the cookie was lost (once)',
    request: 'ClaimCode',
    requestExample: { code: 'RITA-7K2Q' },
    response: {
      status: 201,
      schema: 'ClaimResult',
      description: 'the attribution made',
      example: {
        outcome: 'attributed',
        code: 'RITA-7K2Q',
        attributedAt: '2027-01-04T15:00:00.000Z',
      },
    },
    errors: [
      { status: 404, code: 'CODE_NOT_READY', when: "the caller's signup is still being recorded" },
      { status: 409, code: 'ALREADY_ATTRIBUTED', when: 'the caller was attributed already' },
      { status: 422, code: 'UNKNOWN_CODE', when: 'no such code, or a disabled one' },
      { status: 422, code: 'CLAIM_WINDOW_CLOSED', when: 'more than 30 days after signup' },
      { status: 422, code: 'CLAIM_REFUSED', when: 'own code, own device, or the other program' },
    ],
  },
  'GET /admin/referrals/review': {
    operationId: 'listReviewQueue',
    summary: 'Student rewards by status (default: waiting for review), with linked accounts',
    query: {
      status: {
        type: 'string',
        enum: ['held', 'review', 'unlocked', 'voided', 'refused'],
        description: 'default review',
      },
    },
    response: { status: 200, schema: 'ReviewQueue', description: 'oldest decision first' },
  },
  'POST /admin/referrals/review/:rewardId/approve': {
    operationId: 'approveReward',
    summary: 'Approves a reward held for review: it is held for the refund window, then unlocks',
    request: 'Decision',
    requestExample: { reason: 'siblings sharing a laptop' },
    response: { status: 200, schema: 'ReviewItem', description: 'the reward, approved' },
    errors: [
      REWARD_NOT_FOUND,
      { status: 409, code: 'REVIEW_NOT_PENDING', when: 'the reward is not in review' },
    ],
  },
  'POST /admin/referrals/review/:rewardId/void': {
    operationId: 'voidReward',
    summary: 'Voids a reward held for review',
    request: 'Decision',
    requestExample: { reason: 'one person, three accounts' },
    response: { status: 200, schema: 'ReviewItem', description: 'the reward, voided' },
    errors: [
      REWARD_NOT_FOUND,
      { status: 409, code: 'REVIEW_NOT_PENDING', when: 'the reward is not in review' },
    ],
  },
  'POST /admin/referrals/users/:userId/ban': {
    operationId: 'banUser',
    summary: 'Bans a user from the programs, voiding their rewards in review or held',
    request: 'Decision',
    requestExample: { reason: 'fake accounts' },
    response: {
      status: 200,
      schema: 'Ban',
      description: 'the ban and what it voided',
      example: { userId: IDS.user, voidedRewards: 2 },
    },
    errors: [{ status: 404, code: 'USER_NOT_FOUND', when: 'referrals knows no such user' }],
  },
  'GET /admin/referrals/users/:userId/debug': {
    operationId: 'debugUser',
    summary: "Support's raw view of one user's referral state (404 in production)",
    response: { status: 200, schema: 'UserDebug', description: 'rows by table' },
  },
  'GET /admin/referrals/config': {
    operationId: 'getProgramConfig',
    summary: 'The program configuration, who changed each setting, and the audit trail',
    response: { status: 200, schema: 'ProgramConfig', description: 'the configuration' },
  },
  'PUT /admin/referrals/config': {
    operationId: 'updateProgramConfig',
    summary: 'Changes some settings (audited with the reason); applies to later decisions',
    request: 'UpdateProgramConfig',
    requestExample: { reason: 'beta opens', phase: 'beta', holdDays: 7 },
    response: { status: 200, schema: 'ProgramConfig', description: 'the configuration after it' },
    errors: [{ status: 422, code: 'CONFIG_INVALID', when: 'a value breaks a rule (field named)' }],
  },
  'GET /admin/referrals/summary': {
    operationId: 'getReferralSummary',
    summary: 'Clicks, attributions, rewards by status and reason, and cap use over a range',
    query: {
      from: { type: 'string', format: 'date-time', description: 'default: 30 days before to' },
      to: { type: 'string', format: 'date-time', description: 'default: now' },
    },
    response: {
      status: 200,
      schema: 'ReferralSummary',
      description: 'counts over [from, to)',
      example: {
        from: '2027-01-01T00:00:00.000Z',
        to: '2027-01-31T00:00:00.000Z',
        clicks: 1200,
        attributions: { attributed: 140, refused: { SELF_REFERRAL: 3 } },
        rewards: { held: { HELD_REFUND_WINDOW: 12 }, unlocked: { UNLOCKED: 40 } },
        cap: { phase: 'beta', used: 52, cap: 200 },
      },
    },
  },
  'GET /admin/payouts': {
    operationId: 'listPayouts',
    summary: 'Payouts, newest request first, by status, beneficiary and time',
    query: {
      status: { type: 'string', enum: ['pending_transfer', 'paid', 'failed', 'reversed'] },
      beneficiaryId: { type: 'string', format: 'uuid', description: 'the referrer paid' },
      from: { type: 'string', format: 'date-time', description: 'requested at or after' },
      to: { type: 'string', format: 'date-time', description: 'requested before' },
      limit: { type: 'integer', minimum: 1, maximum: 100 },
      cursor: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,200}$', description: 'nextCursor' },
    },
    response: { status: 200, schema: 'PayoutsPage', description: 'one page' },
  },
  'GET /admin/payouts/stats': {
    operationId: 'getPayoutStats',
    summary: 'Payouts by status and attempts by outcome and reason, overall or since a time',
    query: { since: { type: 'string', format: 'date-time' } },
    response: {
      status: 200,
      schema: 'PayoutStats',
      description: 'the counters',
      example: {
        payouts: {
          pending_transfer: { count: 1, amountCents: { USD: 7500 } },
          paid: { count: 57, amountCents: { USD: 427500 } },
          failed: { count: 1, amountCents: { USD: 5000 } },
          reversed: { count: 0, amountCents: {} },
        },
        attempts: { succeeded: 57, failed: 4, failedByReason: { PAYOUTS_NOT_ENABLED: 4 } },
        endedByReason: { PAYOUTS_NOT_ENABLED: 1 },
      },
    },
  },
  'POST /admin/payouts/:id/retry': {
    operationId: 'retryPayout',
    summary: 'Tries a payout failed for good once more (same transfer idempotency key)',
    response: {
      status: 200,
      schema: 'Payout',
      description: 'the payout, awaiting its transfer again (or already paid)',
    },
    errors: [
      { status: 404, code: 'PAYOUT_NOT_FOUND', when: 'no such payout' },
      { status: 409, code: 'PAYOUT_NOT_RETRYABLE', when: 'not failed (paid, reversed, pending)' },
    ],
  },
};
