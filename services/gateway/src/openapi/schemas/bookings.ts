import {
  bool,
  dateTime,
  nullableDateTime,
  nullableStr,
  object,
  ref,
  str,
  uuid,
  type JsonSchema,
} from '../json-schema';

const money = ref('Money');

/** Accounts, verification, bookings and checkout quotes. */
export const BOOKINGS_SCHEMAS: Record<string, JsonSchema> = {
  RegisterAccount: object(
    {
      role: str({ enum: ['student', 'instructor'] }),
      email: str({ format: 'email' }),
      displayName: str({ minLength: 1, maxLength: 120 }),
      referralCode: str({ pattern: '^[A-Za-z0-9-]{4,64}$' }),
    },
    ['referralCode'],
  ),
  SetPayoutAccount: object({ stripeAccountId: str({ pattern: '^acct_[A-Za-z0-9]{6,64}$' }) }),
  Account: object({
    id: uuid,
    role: str({ enum: ['student', 'instructor'] }),
    email: str({ format: 'email' }),
    displayName: str(),
    referralCode: nullableStr(),
    emailVerified: bool,
    phone: nullableStr({ description: 'E.164, once one was sent a code' }),
    phoneVerified: bool,
    payoutAccountConnected: bool,
    live: bool,
    liveAt: nullableDateTime,
    createdAt: dateTime,
  }),
  CreateBooking: object(
    {
      instructorId: uuid,
      startsAt: dateTime,
      endsAt: dateTime,
      priceCents: { type: 'integer', minimum: 0, maximum: 10_000_000 },
      currency: str({ enum: ['USD'] }),
      quoteId: str({ format: 'uuid', description: 'a quote of POST /checkout/apply-referral' }),
      quoteSignature: str({
        minLength: 1,
        maxLength: 256,
        pattern: '^[A-Za-z0-9_.-]+$',
        description: "the quote's signature, unaltered",
      }),
      paymentMethodId: str({
        minLength: 1,
        maxLength: 255,
        description:
          'the card to charge, a Stripe PaymentMethod id (pm_...) made by Stripe.js in the ' +
          "client; required when the lesson's price (or the quote's total) is above zero",
      }),
    },
    ['currency', 'quoteId', 'quoteSignature', 'paymentMethodId'],
  ),
  Booking: object(
    {
      id: uuid,
      studentId: uuid,
      instructorId: uuid,
      startsAt: dateTime,
      endsAt: dateTime,
      price: money,
      benefit: ref('AppliedBenefit'),
      total: money,
      quoteId: nullableStr({ format: 'uuid' }),
      paymentIntentId: nullableStr({
        description:
          'the Stripe PaymentIntent that charged `total`; null when nothing was due; shown to ' +
          'the student and admins only',
      }),
      status: str({ enum: ['confirmed', 'cancelled', 'completed'] }),
      cancelledAt: nullableDateTime,
      completedAt: nullableDateTime,
    },
    ['paymentIntentId'],
  ),
  AppliedBenefit: object({
    kind: str({ enum: ['referee_discount', 'wallet_credit', 'none'] }),
    amount: money,
  }),
  RegisteredAccount: object(
    {
      id: uuid,
      role: str({ enum: ['student', 'instructor'] }),
      email: str({ format: 'email' }),
      displayName: str(),
      referralCode: nullableStr(),
      emailVerified: bool,
      phone: nullableStr(),
      phoneVerified: bool,
      payoutAccountConnected: bool,
      live: bool,
      liveAt: nullableDateTime,
      createdAt: dateTime,
      referral: ref('ReferralPreview'),
    },
    [],
    'the new account, and whether a referral (cookie or typed code) will count',
  ),
  ReferralPreview: object({
    outcome: str({
      enum: ['none', 'pending', 'refused', 'unknown'],
      description: 'unknown: referrals did not answer in time; it decides all the same',
    }),
    code: nullableStr(),
    reason: nullableStr({ description: 'why it will not count (refused)' }),
    message: nullableStr(),
  }),
  SendVerification: object(
    { phone: str({ pattern: '^\\+[1-9][0-9]{7,14}$', description: 'phone channel only, E.164' }) },
    ['phone'],
  ),
  VerificationSent: object({
    channel: str({ enum: ['email', 'phone'] }),
    sentTo: str({ description: 'where it went, partly hidden' }),
    expiresAt: dateTime,
  }),
  ConfirmVerification: object({ code: str({ pattern: '^[0-9]{6}$' }) }),
  VerificationState: object({ emailVerified: bool, phoneVerified: bool }),
  RefundBooking: object({
    reason: str({ pattern: '^[a-z][a-z0-9_]{2,63}$', description: 'e.g. customer_request' }),
  }),
  RefundedBooking: object({
    id: uuid,
    status: str({ enum: ['confirmed', 'cancelled', 'completed'] }),
  }),
  ApplyReferral: object(
    {
      instructorId: uuid,
      startsAt: dateTime,
      endsAt: dateTime,
      priceCents: { type: 'integer', minimum: 0, maximum: 10_000_000 },
      currency: str({ enum: ['USD'] }),
    },
    ['currency'],
  ),
  CheckoutQuote: object({
    id: uuid,
    instructorId: uuid,
    startsAt: dateTime,
    endsAt: dateTime,
    listPrice: money,
    benefit: object({
      kind: str({ enum: ['referee_discount', 'wallet_credit', 'none'] }),
      amount: money,
      reason: str({ description: 'why this benefit, and not another, applies' }),
    }),
    total: money,
    platformFee: object({ amount: money, beforeRebate: money, rebate: money }),
    expiresAt: dateTime,
    signature: str({
      description:
        'the quote itself, signed (q2.<payload>.<mac>, at most 256 characters): opaque, send ' +
        'it back unaltered with POST /bookings; a signature from before the current version ' +
        'answers QUOTE_SIGNATURE_INVALID, ask for a new quote',
    }),
  }),
};
