import {
  array,
  dateTime,
  int,
  nullable,
  nullableDateTime,
  nullableStr,
  object,
  paged,
  ref,
  str,
  uuid,
  type JsonSchema,
} from '../json-schema';
import { PAYOUT_STATUSES } from './statuses';

const money = ref('Money');

/** Wallet balances and history; payouts, their pages and counters. */
export const WALLET_PAYOUTS_SCHEMAS: Record<string, JsonSchema> = {
  WalletBalance: object({
    ownerId: uuid,
    balances: array(
      object({
        currency: str(),
        availableCents: int('spendable now'),
        pendingCents: int('earned, still held'),
        debtCents: int('owed after a void found its credit spent'),
        reservedCents: int('held by checkouts in progress'),
        feeRebateCents: int("an instructor's platform-fee rebate left"),
        expiringSoon: array(object({ creditId: str(), amountCents: int(), expiresAt: dateTime })),
      }),
    ),
  }),
  WalletHistoryPage: paged(
    object({
      id: str(),
      transactionId: str(),
      kind: str(),
      reason: str(),
      rewardId: nullableStr(),
      bookingId: nullableStr({ description: 'the booking of a checkout movement' }),
      account: str({ enum: ['credit', 'debt', 'reserved', 'fee_rebate'] }),
      amount: money,
      occurredAt: dateTime,
    }),
    { field: 'entries', next: 'pass as cursor for the next (older) page' },
  ),
  Payout: object({
    id: uuid,
    rewardId: str(),
    beneficiaryId: uuid,
    amount: money,
    status: str({ enum: PAYOUT_STATUSES }),
    transferId: nullableStr(),
    attempts: int(),
    lastError: nullable(object({ code: str(), message: str() })),
    nextAttemptAt: nullableStr({ format: 'date-time', description: 'while awaiting its transfer' }),
    requestedAt: dateTime,
    paidAt: nullableDateTime,
    failedAt: nullableStr({ format: 'date-time', description: 'failed for good, or reversed' }),
  }),
  Payouts: object({ items: array(ref('Payout')) }),
  PayoutsPage: paged(ref('Payout')),
  PayoutStats: object({
    payouts: {
      type: 'object',
      properties: {},
      additionalProperties: object({
        count: int(),
        amountCents: { type: 'object', properties: {}, additionalProperties: int() },
      }),
      description: 'by status, amounts per currency',
    },
    attempts: object({
      succeeded: int(),
      failed: int(),
      failedByReason: { type: 'object', properties: {}, additionalProperties: int() },
    }),
    endedByReason: { type: 'object', properties: {}, additionalProperties: int() },
  }),
};
