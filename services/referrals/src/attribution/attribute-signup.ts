import { ReferralProgram, Topics, UserRegisteredV1 } from '@rewards/contracts';
import { OutboxWriter } from '@rewards/messaging';
import { EntityManager } from 'typeorm';
import { normalizeCode } from '../codes/issue-referral-code';
import { ReferralCode } from '../codes/referral-code.entity';
import { InstructorReferral } from '../instructor-program/instructor-referral.entity';
import { readRefereeDiscount } from '../program/referee-discount';
import { Attribution, AttributionRefusal } from './attribution.entity';

/**
 * Fixes who referred a new user, once: the first decision stands (a redelivered or replayed
 * signup changes nothing). Refusals are recorded with their reason, never dropped.
 */
export async function attributeSignup(
  tx: EntityManager,
  outbox: OutboxWriter,
  signup: UserRegisteredV1,
  now: Date,
): Promise<Attribution | undefined> {
  if (!signup.referralCode) return undefined;
  const existing = await tx.findOneBy(Attribution, { refereeId: signup.userId });
  if (existing) return existing;

  const code = normalizeCode(signup.referralCode);
  const program: ReferralProgram = signup.role;
  const owner = await tx.findOneBy(ReferralCode, { code });
  const refusal = refusalFor(owner, signup);
  const attribution = tx.create(Attribution, {
    refereeId: signup.userId,
    referrerId: refusal ? null : owner!.userId,
    code,
    program,
    outcome: refusal ? 'refused' : 'attributed',
    refusalReason: refusal ?? null,
    decidedAt: now,
  });
  await tx.insert(Attribution, attribution);
  if (refusal || !attribution.referrerId) return attribution;

  if (program === 'instructor') {
    await tx.insert(InstructorReferral, {
      refereeId: signup.userId,
      referrerId: attribution.referrerId,
      status: 'pending_live',
      attributedAt: now,
      updatedAt: now,
    });
  }
  await outbox.add(
    tx,
    Topics.ReferralAttributed,
    signup.userId,
    {
      attributionId: signup.userId,
      program,
      referrerId: attribution.referrerId,
      refereeId: signup.userId,
      code,
      attributedAt: now.toISOString(),
      // The student program's referee gets a first-lesson discount at checkout (bookings).
      refereeDiscount: program === 'student' ? await readRefereeDiscount(tx) : null,
    },
    { occurredAt: now },
  );
  return attribution;
}

function refusalFor(
  owner: ReferralCode | null,
  signup: UserRegisteredV1,
): AttributionRefusal | undefined {
  if (!owner) return 'UNKNOWN_CODE';
  if (!owner.enabled) return 'CODE_DISABLED';
  if (owner.userId === signup.userId) return 'SELF_REFERRAL';
  // Instructors refer instructors (cash program); students refer students (credit program).
  if (owner.ownerRole !== signup.role) return 'PROGRAM_MISMATCH';
  return undefined;
}
