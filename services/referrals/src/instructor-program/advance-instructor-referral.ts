import { randomUUID } from 'node:crypto';
import { Topics } from '@rewards/contracts';
import { OutboxWriter } from '@rewards/messaging';
import { EntityManager } from 'typeorm';
import {
  FOUNDING_BONUSES_COUNTER,
  incrementCounter,
  readCounter,
  readProgramConfig,
} from '../program/program-config';
import { decideInstructorBonus } from './decide-instructor-bonus';
import { InstructorReferral } from './instructor-referral.entity';
import { readLessons, readMilestones, WaitingReferee } from './instructor-milestones';
import { reachedLessons } from '../program/lesson-run';
import { firstQualifyingLesson } from '../program/qualifying-lesson';

/**
 * Moves a referred instructor as far along pending_live -> pending_lesson -> pending_transfer as
 * the recorded milestones allow. Called after every fact that could move it, so the outcome does
 * not depend on the order events arrive in. The bonus decision locks the founding counter row for
 * the rest of the transaction: concurrent completions queue on it and the founding cap is exact.
 * In a run of lesson completions, `notReached` keeps out the run's lessons not handled yet
 * (see LessonRun), so the outcome is the one of handling the events one at a time.
 */
export async function advanceInstructorReferral(
  tx: EntityManager,
  outbox: OutboxWriter,
  refereeId: string,
  now: Date,
  notReached?: ReadonlySet<string>,
): Promise<InstructorReferral | undefined> {
  const referral = await tx.findOne(InstructorReferral, {
    where: { refereeId },
    lock: { mode: 'pessimistic_write' },
  });
  if (!referral) return undefined;
  const milestones = await readMilestones(tx, refereeId);

  if (referral.status === 'pending_live' && milestones.wentLiveAt) {
    referral.status = 'pending_lesson';
    referral.wentLiveAt = milestones.wentLiveAt;
    referral.updatedAt = now;
  }
  if (referral.status === 'pending_lesson') {
    const config = await readProgramConfig(tx);
    const first = firstQualifyingLesson(await readLessons(tx, refereeId, notReached), {
      minimumPriceCents: config.instructorLessonMinimumCents,
      referrerId: referral.referrerId,
    });
    if (first) await awardBonus(tx, outbox, referral, first.bookingId, first.completedAt, now);
  }
  return tx.save(referral);
}

async function awardBonus(
  tx: EntityManager,
  outbox: OutboxWriter,
  referral: InstructorReferral,
  bookingId: string,
  lessonAt: Date,
  now: Date,
): Promise<void> {
  const config = await readProgramConfig(tx);
  const decision = decideInstructorBonus(
    await readCounter(tx, FOUNDING_BONUSES_COUNTER, true),
    config,
  );
  if (decision.founding) await incrementCounter(tx, FOUNDING_BONUSES_COUNTER);

  const rewardId = randomUUID();
  const payoutId = randomUUID();
  const amount = { amountCents: decision.amountCents, currency: config.currency };
  Object.assign(referral, {
    status: 'pending_transfer',
    firstLessonBookingId: bookingId,
    firstLessonAt: lessonAt,
    rewardId,
    payoutId,
    bonusCents: decision.amountCents,
    currency: config.currency,
    founding: decision.founding,
    updatedAt: now,
  });
  await outbox.add(
    tx,
    Topics.RewardEarned,
    rewardId,
    {
      rewardId,
      beneficiaryId: referral.referrerId,
      kind: 'instructor_referral_bonus',
      amount,
      earnedAt: now.toISOString(),
    },
    { occurredAt: now },
  );
  await outbox.add(
    tx,
    Topics.PayoutRequested,
    payoutId,
    {
      payoutId,
      rewardId,
      beneficiaryId: referral.referrerId,
      amount,
      reason: 'instructor_referral_bonus',
      requestedAt: now.toISOString(),
    },
    { occurredAt: now },
  );
}

/**
 * Whether a lesson of a run can move a waiting referee (what advanceInstructorReferral would do
 * with the same facts): going live was recorded, or a lesson reached so far qualifies. When it
 * cannot, the run's handler skips the referral's statements.
 */
export function lessonCanAdvance(
  referee: WaitingReferee,
  notReached: ReadonlySet<string>,
  minimumPriceCents: number | undefined,
): boolean {
  if (referee.status === 'pending_live') return referee.wentLive;
  if (minimumPriceCents === undefined) return true;
  const lessons = reachedLessons(referee.lessons, notReached);
  const rule = { minimumPriceCents, referrerId: referee.referrerId };
  return firstQualifyingLesson(lessons, rule) !== undefined;
}
