import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { EnvelopeFields, EventEnvelope } from './envelope';
import { BookingCancelledV1 } from './events/booking-cancelled.v1';
import { BookingConfirmedV1 } from './events/booking-confirmed.v1';
import { CreditExpiredV1 } from './events/credit-expired.v1';
import { CreditExpiringV1 } from './events/credit-expiring.v1';
import { InstructorWentLiveV1 } from './events/instructor-went-live.v1';
import { LessonCompletedV1 } from './events/lesson-completed.v1';
import { LessonCompletedV2 } from './events/lesson-completed.v2';
import { PayoutFailedV1 } from './events/payout-failed.v1';
import { PayoutFailedV2 } from './events/payout-failed.v2';
import { PayoutPaidV1 } from './events/payout-paid.v1';
import { PayoutRequestedV1 } from './events/payout-requested.v1';
import { ReferralAttributedV1 } from './events/referral-attributed.v1';
import { ReferralAttributedV2 } from './events/referral-attributed.v2';
import { RewardEarnedV1 } from './events/reward-earned.v1';
import { RewardUnlockedV1 } from './events/reward-unlocked.v1';
import { RewardVoidedV1 } from './events/reward-voided.v1';
import { RewardVoidedV2 } from './events/reward-voided.v2';
import { UserRegisteredV1 } from './events/user-registered.v1';
import { UserVerifiedV1 } from './events/user-verified.v1';
import { WalletCreditedV1 } from './events/wallet-credited.v1';
import { WalletDebitedV1 } from './events/wallet-debited.v1';
import { Topic, Topics } from './topics';

/** The current (latest) payload class of every topic: what producers publish. */
export const CurrentEvents = {
  [Topics.UserRegistered]: { version: 1, payload: UserRegisteredV1 },
  [Topics.UserVerified]: { version: 1, payload: UserVerifiedV1 },
  [Topics.InstructorWentLive]: { version: 1, payload: InstructorWentLiveV1 },
  [Topics.BookingConfirmed]: { version: 1, payload: BookingConfirmedV1 },
  [Topics.BookingCancelled]: { version: 1, payload: BookingCancelledV1 },
  [Topics.LessonCompleted]: { version: 2, payload: LessonCompletedV2 },
  [Topics.ReferralAttributed]: { version: 2, payload: ReferralAttributedV2 },
  [Topics.RewardEarned]: { version: 1, payload: RewardEarnedV1 },
  [Topics.RewardUnlocked]: { version: 1, payload: RewardUnlockedV1 },
  [Topics.RewardVoided]: { version: 2, payload: RewardVoidedV2 },
  [Topics.PayoutRequested]: { version: 1, payload: PayoutRequestedV1 },
  [Topics.PayoutPaid]: { version: 1, payload: PayoutPaidV1 },
  [Topics.PayoutFailed]: { version: 2, payload: PayoutFailedV2 },
  [Topics.WalletCredited]: { version: 1, payload: WalletCreditedV1 },
  [Topics.WalletDebited]: { version: 1, payload: WalletDebitedV1 },
  [Topics.CreditExpiring]: { version: 1, payload: CreditExpiringV1 },
  [Topics.CreditExpired]: { version: 1, payload: CreditExpiredV1 },
} as const satisfies Record<Topic, { version: number; payload: new () => object }>;

/** The payload type a producer publishes on a topic. */
export type PayloadOf<T extends Topic> = InstanceType<(typeof CurrentEvents)[T]['payload']>;

type PayloadClass = new () => object;

/**
 * Versions producers no longer publish that consumers must still read: messages already in
 * topics, outboxes and dead letters, and producers not yet upgraded. Never removed while any
 * can still be delivered.
 */
export const PreviousEvents: ReadonlyArray<{
  type: Topic;
  version: number;
  payload: PayloadClass;
}> = [
  { type: Topics.LessonCompleted, version: 1, payload: LessonCompletedV1 },
  { type: Topics.PayoutFailed, version: 1, payload: PayoutFailedV1 },
  { type: Topics.ReferralAttributed, version: 1, payload: ReferralAttributedV1 },
  { type: Topics.RewardVoided, version: 1, payload: RewardVoidedV1 },
];

/** Every (type, version) a consumer can read; older versions stay here after a new one ships. */
const readable = new Map<string, PayloadClass>([
  ...Object.entries(CurrentEvents).map(([type, v]): [string, PayloadClass] => [
    `${type}@${v.version}`,
    v.payload,
  ]),
  ...PreviousEvents.map((v): [string, PayloadClass] => [`${v.type}@${v.version}`, v.payload]),
]);

/** A message that does not satisfy its contract; it can never succeed, so it is dead-lettered. */
export class ContractViolation extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'ContractViolation';
  }
}

function describe(errors: ValidationError[], prefix = ''): string {
  return errors
    .map((e) => {
      const path = prefix ? `${prefix}.${e.property}` : e.property;
      if (e.children && e.children.length > 0) return describe(e.children, path);
      return `${path}: ${Object.values(e.constraints ?? {}).join(', ')}`;
    })
    .join('; ');
}

function validated<T extends object>(cls: new () => T, plain: unknown, what: string): T {
  const instance = plainToInstance(cls, plain);
  const errors = validateSync(instance, { forbidUnknownValues: true, whitelist: false });
  if (errors.length > 0) throw new ContractViolation(`invalid ${what}: ${describe(errors)}`);
  return instance;
}

/**
 * Parses and validates a raw message against its contract. Unknown fields in the payload are
 * tolerated (a newer producer may add optional fields); wrong or missing ones are not.
 */
export function parseEnvelope(
  raw: Buffer | string | null,
  expectedTopic?: string,
): EventEnvelope<object> {
  if (raw === null) throw new ContractViolation('empty message value');
  let plain: unknown;
  try {
    plain = JSON.parse(raw.toString());
  } catch {
    throw new ContractViolation('message value is not JSON');
  }
  if (typeof plain !== 'object' || plain === null || Array.isArray(plain)) {
    throw new ContractViolation('message value is not a JSON object');
  }
  const fields = validated(EnvelopeFields, plain, 'envelope');
  if (expectedTopic !== undefined && fields.type !== expectedTopic) {
    throw new ContractViolation(
      `event type ${fields.type} does not belong on topic ${expectedTopic}`,
    );
  }
  const cls = readable.get(`${fields.type}@${fields.version}`);
  if (!cls) throw new ContractViolation(`unknown event version ${fields.type}@${fields.version}`);
  const payload = validated(cls, fields.payload, `${fields.type}@${fields.version} payload`);
  return { ...fields, payload };
}
