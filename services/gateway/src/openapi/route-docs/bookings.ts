import {
  IDS,
  LESSON_ERRORS,
  money,
  NOT_REGISTERED,
  ownedResourceErrors,
  PAYMENT_ERRORS,
  QUOTE_ERRORS,
  QUOTING_ERRORS,
  REFUND_UNAVAILABLE,
  type RouteDoc,
} from '../route-doc';

const OWN_BOOKING_ERRORS = ownedResourceErrors('BOOKING_NOT_FOUND', 'booking');

/** Accounts, verification, bookings and checkout (bookings). */
export const BOOKINGS_ROUTE_DOCS: Record<string, RouteDoc> = {
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
  'POST /bookings': {
    operationId: 'createBooking',
    summary: 'Books a lesson with a live instructor',
    request: 'CreateBooking',
    requestExample: {
      instructorId: '0b6f5a8e-2f4c-4a1e-9c3d-7e8f9a0b1c2d',
      startsAt: '2027-01-04T15:00:00.000Z',
      endsAt: '2027-01-04T16:00:00.000Z',
      priceCents: 8000,
      paymentMethodId: 'pm_1QxExampleCardFromStripeJs',
    },
    response: { status: 201, schema: 'Booking', description: 'the confirmed booking, paid' },
    errors: [NOT_REGISTERED, ...LESSON_ERRORS, ...QUOTE_ERRORS, ...PAYMENT_ERRORS],
  },
  'GET /bookings/:id': {
    operationId: 'getBooking',
    summary: 'One of the caller’s bookings (as its student or instructor)',
    response: { status: 200, schema: 'Booking', description: 'the booking' },
    errors: OWN_BOOKING_ERRORS,
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
  'POST /bookings/:id/cancel': {
    operationId: 'cancelBooking',
    summary:
      'The student or instructor of a booking cancels it; the card charge is refunded and ' +
      'checkout funds go back',
    response: { status: 200, schema: 'Booking', description: 'the booking, cancelled' },
    errors: [
      ...OWN_BOOKING_ERRORS,
      { status: 409, code: 'BOOKING_NOT_CONFIRMED', when: 'cancelled or completed already' },
      REFUND_UNAVAILABLE,
    ],
  },
  'POST /bookings/:id/refund': {
    operationId: 'refundBooking',
    summary:
      'Support refunds a booking: the card charge is refunded and its rewards are voided, ' +
      'within the hold or after',
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
      REFUND_UNAVAILABLE,
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
        signature:
          'q2.PCsaCY9-TWybWk49LBsKmF0MKp6KT0t-nB0uP0pbbH0Lb1qOL0xKHpw9fo-aCxwtAaLhNuGAAaLhbdAAAaLhDa6gAaLhBIbgVVNEAAAfQAAAB9AAAASwAAAAAAI.KFhzrm__5qf_cOOB0R6xhV1Z3FE6CHbTvYJ467eFqvM',
      },
    },
    errors: [NOT_REGISTERED, ...QUOTING_ERRORS],
  },
};
