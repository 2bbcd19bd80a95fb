import {
  array,
  bool,
  dateTime,
  int,
  nullable,
  nullableDateTime,
  nullableStr,
  object,
  ref,
  str,
  uuid,
  type JsonSchema,
} from '../json-schema';
import { INSTRUCTOR_REFERRAL_STATUSES, REWARD_STATUSES } from './statuses';

const money = ref('Money');

/** Referral stats, the programs' terms, instructor surfaces and claims. */
export const REFERRALS_SCHEMAS: Record<string, JsonSchema> = {
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
    share: object(
      { title: str(), text: str(), url: str({ format: 'uri' }) },
      [],
      'what a client passes to the Web Share API (navigator.share)',
    ),
    referredBy: nullable(
      object({
        outcome: str(),
        code: str(),
        refusalReason: nullableStr(),
        message: nullableStr({ description: 'why it was refused, in words' }),
      }),
    ),
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
    studentProgram: nullable(ref('StudentProgram')),
  }),
  StudentProgram: object({
    clicks: int(),
    signups: int(),
    waiting: array(object({ since: dateTime, message: str() })),
    rewards: array(ref('StudentReward')),
    totals: {
      type: 'object',
      properties: {},
      additionalProperties: object({ count: int(), amountCents: int() }),
      description: 'per reward status: held, review, unlocked, voided, refused',
    },
  }),
  StudentReward: object({
    rewardId: uuid,
    status: str({ enum: REWARD_STATUSES }),
    reason: str({ description: 'stable code, e.g. HELD_REFUND_WINDOW' }),
    message: str(),
    amount: money,
    decidedAt: dateTime,
    holdUntil: nullableDateTime,
    unlockedAt: nullableDateTime,
    voidedAt: nullableDateTime,
    clawback: bool,
  }),
  ProgramTerms: object({
    referrerReward: money,
    refereeDiscount: money,
    minimumLessonPrice: money,
    attributionWindowDays: int(),
    attributionModel: str({ enum: ['last_click', 'first_click'] }),
    holdDays: int(),
    creditLifetimeMonths: int(),
    requiresVerification: array(str({ enum: ['email', 'phone'] })),
    ftcDisclosure: nullableStr(),
  }),
  LivePopupAnswer: object({
    popup: nullable(
      object({
        wentLiveAt: dateTime,
        code: str(),
        link: str({ format: 'uri' }),
        bonus: object({ founding: money, standard: money, foundingSpotsLeft: int() }),
        referredBy: nullable(
          object({ referrerId: uuid, status: str({ enum: INSTRUCTOR_REFERRAL_STATUSES }) }),
        ),
      }),
    ),
  }),
  LivePopupAcknowledged: object({ acknowledgedAt: dateTime }),
  ClaimCode: object({ code: str({ minLength: 1, maxLength: 64 }) }),
  ClaimResult: object({
    outcome: str({ enum: ['attributed'] }),
    code: str(),
    attributedAt: dateTime,
  }),
  ReferredInstructors: object({
    items: array(
      object({
        refereeId: uuid,
        status: str({ enum: INSTRUCTOR_REFERRAL_STATUSES }),
        attributedAt: dateTime,
        wentLiveAt: nullableDateTime,
        firstLessonAt: nullableDateTime,
        bonus: nullable(money),
        founding: nullable(bool),
        payoutId: nullableStr({ format: 'uuid' }),
        paidAt: nullableDateTime,
        failureReason: nullableStr(),
        nextRetryAt: nullableStr({
          format: 'date-time',
          description: 'while a failed one retries',
        }),
      }),
    ),
  }),
};
