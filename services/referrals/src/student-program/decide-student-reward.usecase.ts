import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Currency, Topics } from '@rewards/contracts';
import { OutboxWriter } from '@rewards/messaging';
import { EntityManager } from 'typeorm';
import { Attribution } from '../attribution/attribution.entity';
import { incrementCounter, readCounter } from '../program/program-config';
import { sharePaymentCard } from '../program/payment-cards';
import { firstQualifyingLesson } from '../program/qualifying-lesson';
import { rewardVerdict } from './reward-verdict';
import { readStudentLessons } from './student-lessons';
import { StudentReward } from './student-reward.entity';
import {
  capCounter,
  readStudentProgramSettings,
  StudentProgramSettings,
} from './student-program-settings';

interface UserFacts {
  email_verified: boolean;
  phone_verified: boolean;
  banned_at: Date | null;
}

/**
 * Decides a referrer's $20 credit once the referee has verified email and phone and completed a
 * first qualifying lesson (the shared rule), whatever order those facts arrived in: called after
 * each of them, it does nothing until all hold, and nothing once a decision exists. The cap
 * counter row stays locked to the end of the transaction, so concurrent decisions queue on it
 * and the cap is exact. Callers hold the referee's lock (lockReferee). In a run of lesson
 * completions, `notReached` keeps out the run's lessons not handled yet (see LessonRun), so the
 * outcome is the one of handling the events one at a time.
 */
@Injectable()
export class DecideStudentReward {
  constructor(private readonly outbox: OutboxWriter) {}

  async execute(
    tx: EntityManager,
    refereeId: string,
    now: Date,
    notReached?: ReadonlySet<string>,
  ): Promise<StudentReward | undefined> {
    const attribution = await tx.findOneBy(Attribution, { refereeId });
    if (attribution?.outcome !== 'attributed' || attribution.program !== 'student')
      return undefined;
    const referrerId = attribution.referrerId!;
    const existing = await tx.findOneBy(StudentReward, {
      refereeId,
      kind: 'student_referral_credit',
    });
    if (existing) return existing;
    const referee = await this.user(tx, refereeId);
    if (!referee?.email_verified || !referee.phone_verified) return undefined;
    const settings = await readStudentProgramSettings(tx);
    const lesson = firstQualifyingLesson(await readStudentLessons(tx, refereeId, notReached), {
      minimumPriceCents: settings.lessonMinimumCents,
      referrerId,
    });
    if (!lesson) return undefined;

    const counter = capCounter(settings.phase);
    await tx.query(
      'INSERT INTO program_counters (name, value) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING',
      [counter],
    );
    const capUsed = await readCounter(tx, counter, true);
    const verdict = rewardVerdict({
      referrerBanned: Boolean((await this.user(tx, referrerId))?.banned_at),
      refereeBanned: referee.banned_at !== null,
      sharePaymentCard: await sharePaymentCard(tx, refereeId, referrerId),
      capUsed,
      cap: settings.phaseCaps[settings.phase],
      recentGrants: await this.recentGrants(tx, referrerId, settings, now),
      velocityLimits: settings.velocityLimits,
      householdSize: await this.householdSize(tx, refereeId),
      householdReviewThreshold: settings.householdReviewThreshold,
    });
    const reward = tx.create(StudentReward, {
      rewardId: randomUUID(),
      refereeId,
      referrerId,
      kind: 'student_referral_credit',
      status: verdict.status,
      reason: verdict.reason,
      amountCents: settings.referrerRewardCents,
      currency: settings.currency,
      bookingId: lesson.bookingId,
      phase: settings.phase,
      decidedAt: now,
      holdUntil: verdict.status === 'held' ? addDays(now, settings.holdDays) : null,
      reviewExpiresAt: verdict.status === 'review' ? addDays(now, settings.reviewExpiryDays) : null,
      earned: verdict.status === 'held',
      unlockedAt: null,
      voidedAt: null,
      clawback: false,
      updatedAt: now,
    });
    await tx.insert(StudentReward, reward);
    if (verdict.status === 'refused') return reward;
    await incrementCounter(tx, counter);
    if (verdict.status === 'held') await this.publishEarned(tx, reward, now);
    return reward;
  }

  async publishEarned(tx: EntityManager, reward: StudentReward, now: Date): Promise<void> {
    await this.outbox.add(
      tx,
      Topics.RewardEarned,
      reward.rewardId,
      {
        rewardId: reward.rewardId,
        beneficiaryId: reward.referrerId,
        kind: reward.kind,
        amount: { amountCents: reward.amountCents, currency: reward.currency as Currency },
        earnedAt: now.toISOString(),
      },
      { occurredAt: now },
    );
  }

  private async user(tx: EntityManager, userId: string): Promise<UserFacts | undefined> {
    const [row] = await tx.query<UserFacts[]>(
      'SELECT email_verified, phone_verified, banned_at FROM referral_users WHERE user_id = $1',
      [userId],
    );
    return row;
  }

  private async recentGrants(
    tx: EntityManager,
    referrerId: string,
    settings: StudentProgramSettings,
    now: Date,
  ): Promise<number[]> {
    const counts: number[] = [];
    for (const limit of settings.velocityLimits) {
      const [{ n }] = await tx.query<Array<{ n: string }>>(
        `SELECT count(*) AS n FROM student_rewards
          WHERE referrer_id = $1 AND status IN ('held', 'review', 'unlocked')
            AND decided_at > $2`,
        [referrerId, new Date(now.getTime() - limit.windowHours * 3600_000)],
      );
      counts.push(Number(n));
    }
    return counts;
  }

  /** Accounts sharing the referee's device or IP hash, the referee included. */
  private async householdSize(tx: EntityManager, refereeId: string): Promise<number> {
    const [{ n }] = await tx.query<Array<{ n: string }>>(
      `SELECT count(DISTINCT u.user_id) AS n
         FROM referral_users u, referral_users me
        WHERE me.user_id = $1
          AND ((me.device_hash IS NOT NULL AND u.device_hash = me.device_hash)
            OR (me.ip_hash IS NOT NULL AND u.ip_hash = me.ip_hash))`,
      [refereeId],
    );
    return Math.max(1, Number(n));
  }
}

function addDays(at: Date, days: number): Date {
  return new Date(at.getTime() + days * 86_400_000);
}
