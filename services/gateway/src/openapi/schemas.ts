import {
  array,
  bool,
  dateTime,
  int,
  nullableDateTime,
  nullable,
  nullableStr,
  object,
  ref,
  str,
  uuid,
  type JsonSchema,
} from './json-schema';

const money = ref('Money');

/** Every named schema of the API: request bodies, answers and the one error body. */
export const SCHEMAS: Record<string, JsonSchema> = {
  Money: object({ amountCents: int('integer cents'), currency: str({ pattern: '^[A-Z]{3}$' }) }),
  ApiError: object({
    error: object(
      {
        code: str({ description: 'stable machine code, e.g. VALIDATION_FAILED' }),
        message: str({ description: 'why, for a developer; not for end users' }),
        field: str({ description: 'the request field at fault (VALIDATION_FAILED)' }),
        details: { type: 'object', properties: {}, description: 'code-specific facts' },
        requestId: str({ description: 'also the x-request-id header' }),
      },
      ['field', 'details'],
    ),
  }),
  DevTokenRequest: object(
    {
      role: str({ enum: ['student', 'instructor', 'admin'] }),
      userId: uuid,
      ttlSeconds: { type: 'integer', minimum: 60, maximum: 86_400 },
    },
    ['userId', 'ttlSeconds'],
  ),
  DevToken: object({
    token: str(),
    userId: uuid,
    roles: array(str({ enum: ['student', 'instructor', 'admin'] })),
    expiresAt: dateTime,
  }),
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
    },
    ['currency'],
  ),
  Booking: object({
    id: uuid,
    studentId: uuid,
    instructorId: uuid,
    startsAt: dateTime,
    endsAt: dateTime,
    price: money,
    status: str({ enum: ['confirmed', 'cancelled', 'completed'] }),
    completedAt: nullableDateTime,
  }),
  FoundingStatus: object({
    cap: int(),
    awarded: int(),
    spotsLeft: int(),
    foundingBonus: money,
    standardBonus: money,
  }),
  ReferralStats: object({
    code: str(),
    link: str({ format: 'uri' }),
    referredBy: nullable(object({ outcome: str(), code: str(), refusalReason: nullableStr() })),
    instructorProgram: nullable(
      object({
        counts: {
          type: 'object',
          properties: {},
          additionalProperties: int(),
          description: 'referred instructors per status',
        },
        earnings: object({
          paidCents: int(),
          pendingCents: int(),
          currency: str(),
        }),
      }),
    ),
  }),
  ReferredInstructors: object({
    items: array(
      object({
        refereeId: uuid,
        status: str({
          enum: ['pending_live', 'pending_lesson', 'pending_transfer', 'paid', 'failed'],
        }),
        attributedAt: dateTime,
        wentLiveAt: nullableDateTime,
        firstLessonAt: nullableDateTime,
        bonus: nullable(money),
        founding: nullable(bool),
        payoutId: nullableStr({ format: 'uuid' }),
        paidAt: nullableDateTime,
        failureReason: nullableStr(),
      }),
    ),
  }),
  WalletBalance: object({
    ownerId: uuid,
    balances: array(
      object({
        currency: str(),
        availableCents: int('spendable now'),
        pendingCents: int('earned, still held'),
        debtCents: int('owed after a void found its credit spent'),
        expiringSoon: array(object({ creditId: str(), amountCents: int(), expiresAt: dateTime })),
      }),
    ),
  }),
  WalletHistoryPage: object({
    entries: array(
      object({
        id: str(),
        transactionId: str(),
        kind: str(),
        reason: str(),
        rewardId: nullableStr(),
        account: str({ enum: ['credit', 'debt'] }),
        amount: money,
        occurredAt: dateTime,
      }),
    ),
    nextCursor: nullableStr({ description: 'pass as cursor for the next (older) page' }),
  }),
  Payouts: object({
    items: array(
      object({
        id: uuid,
        rewardId: str(),
        amount: money,
        status: str({ enum: ['pending_transfer', 'paid', 'failed', 'reversed'] }),
        transferId: nullableStr(),
        attempts: int(),
        lastError: nullable(object({ code: str(), message: str() })),
        requestedAt: dateTime,
        paidAt: nullableDateTime,
      }),
    ),
  }),
  Acknowledged: { type: 'object', properties: {}, description: 'the webhook was accepted' },
};
