import {
  array,
  bool,
  dateTime,
  int,
  nullableDateTime,
  object,
  paged,
  ref,
  str,
  uuid,
  type JsonSchema,
} from '../json-schema';
import { REWARD_STATUSES } from './statuses';

const money = ref('Money');

// A setting's value: a number, text, a flag, a list or an object (velocity limits, phase caps).
const settingValue: JsonSchema = {
  oneOf: [
    { type: 'null' },
    { type: 'boolean' },
    { type: 'number' },
    { type: 'string' },
    { type: 'object', properties: {} },
    { type: 'array', items: { type: 'object', properties: {} } },
  ],
  description: "the setting's value (null before it was first set)",
};

/** The review queue, program configuration and summary. */
export const ADMIN_SCHEMAS: Record<string, JsonSchema> = {
  Decision: object({ reason: str({ minLength: 3, maxLength: 500 }) }),
  ReviewItem: object({
    rewardId: uuid,
    status: str({ enum: REWARD_STATUSES }),
    reason: str(),
    message: str(),
    amount: money,
    decidedAt: dateTime,
    holdUntil: nullableDateTime,
    unlockedAt: nullableDateTime,
    voidedAt: nullableDateTime,
    clawback: bool,
    referrerId: uuid,
    refereeId: uuid,
    reviewExpiresAt: nullableDateTime,
    cluster: array(
      object({
        userId: uuid,
        shared: array(str({ enum: ['device', 'ip', 'payment'] })),
        banned: bool,
      }),
    ),
    decisions: array(object({ action: str(), actor: str(), reason: str(), decidedAt: dateTime })),
  }),
  ReviewQueue: paged(ref('ReviewItem')),
  Ban: object({ userId: uuid, voidedRewards: int('rewards voided by the ban') }),
  UserDebug: {
    type: 'object',
    properties: {},
    additionalProperties: {
      oneOf: [
        { type: 'null' },
        { type: 'object', properties: {} },
        array({ type: 'object', properties: {} }),
      ],
    },
    description: "support's raw view of one user's referral rows (not served in production)",
  },
  ProgramConfig: object({
    values: {
      type: 'object',
      properties: {},
      description: 'every setting by name (amounts, windows, caps, phase, velocity, model, ...)',
    },
    updated: {
      type: 'object',
      properties: {},
      additionalProperties: object({ at: dateTime, by: str() }),
    },
    audit: array(
      object({
        key: str(),
        oldValue: settingValue,
        newValue: settingValue,
        actor: str(),
        reason: str(),
        changedAt: dateTime,
      }),
    ),
  }),
  UpdateProgramConfig: object(
    {
      reason: str({ minLength: 3, maxLength: 500, description: 'kept in the audit trail' }),
      referrerRewardCents: { type: 'integer', minimum: 0, maximum: 1_000_000 },
      refereeDiscountCents: { type: 'integer', minimum: 0, maximum: 1_000_000 },
      lessonMinimumCents: { type: 'integer', minimum: 0, maximum: 10_000_000 },
      holdDays: { type: 'integer', minimum: 0, maximum: 365 },
      creditLifetimeMonths: { type: 'integer', minimum: 1, maximum: 120 },
      phase: str(),
      phaseCaps: {
        type: 'object',
        properties: {},
        additionalProperties: int(),
        description: 'rewards cap per phase',
      },
      velocityLimits: array(object({ windowHours: int(), max: int() })),
      householdReviewThreshold: { type: 'integer', minimum: 2, maximum: 100 },
      reviewExpiryDays: { type: 'integer', minimum: 1, maximum: 365 },
      attributionModel: str({ enum: ['last_click', 'first_click'] }),
      attributionWindowDays: { type: 'integer', minimum: 1, maximum: 365 },
      ftcDisclosure: str({ minLength: 10, maxLength: 2000 }),
      feeRebate: object({ enabled: bool, amountCents: int(), lessons: int(), windowDays: int() }, [
        'enabled',
        'amountCents',
        'lessons',
        'windowDays',
      ]),
    },
    [
      'referrerRewardCents',
      'refereeDiscountCents',
      'lessonMinimumCents',
      'holdDays',
      'creditLifetimeMonths',
      'phase',
      'phaseCaps',
      'velocityLimits',
      'householdReviewThreshold',
      'reviewExpiryDays',
      'attributionModel',
      'attributionWindowDays',
      'ftcDisclosure',
      'feeRebate',
    ],
  ),
  ReferralSummary: object({
    from: dateTime,
    to: dateTime,
    clicks: int(),
    attributions: object({
      attributed: int(),
      refused: { type: 'object', properties: {}, additionalProperties: int() },
    }),
    rewards: {
      type: 'object',
      properties: {},
      additionalProperties: { type: 'object', properties: {}, additionalProperties: int() },
      description: 'count by status, then by reason',
    },
    cap: object({ phase: str(), used: int(), cap: { type: ['integer', 'null'] } }),
  }),
};
