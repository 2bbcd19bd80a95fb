import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { OutboxRelay } from '@rewards/messaging';
import { CallerIdentity, Clock } from '@rewards/service-kit';
import { DataSource, EntityManager, In } from 'typeorm';
import { ReferralsError } from '../referrals-error';
import { DecideStudentReward } from '../student-program/decide-student-reward.usecase';
import { readStudentProgramSettings } from '../student-program/student-program-settings';
import { StudentReward } from '../student-program/student-reward.entity';
import { VoidStudentReward } from '../student-program/void-student-reward.usecase';

export type ReviewAction = 'approve' | 'void' | 'ban';

/**
 * The review ladder's manual steps. Approve puts a reviewed reward on its normal hold (and
 * announces it to the wallet); void ends it; ban voids every pending reward of the user (as
 * referrer or referee) and refuses them new ones. Each decision records who, when and why.
 */
@Injectable()
export class ReviewQueue {
  constructor(
    private readonly dataSource: DataSource,
    private readonly decide: DecideStudentReward,
    private readonly voider: VoidStudentReward,
    private readonly relay: OutboxRelay,
    private readonly clock: Clock,
  ) {}

  async approve(admin: CallerIdentity, rewardId: string, reason: string): Promise<StudentReward> {
    return this.inTx(async (tx, now) => {
      const reward = await this.reviewed(tx, rewardId);
      const settings = await readStudentProgramSettings(tx);
      Object.assign(reward, {
        status: 'held',
        reason: 'REVIEW_APPROVED',
        holdUntil: new Date(now.getTime() + settings.holdDays * 86_400_000),
        reviewExpiresAt: null,
        earned: true,
        updatedAt: now,
      });
      await tx.save(reward);
      await this.decide.publishEarned(tx, reward, now);
      await this.record(tx, { rewardId, action: 'approve', admin, reason, now });
      return reward;
    });
  }

  async void(admin: CallerIdentity, rewardId: string, reason: string): Promise<StudentReward> {
    return this.inTx(async (tx, now) => {
      const reward = await this.reviewed(tx, rewardId);
      await this.voider.execute(tx, reward, 'REVIEW_VOIDED', now);
      await this.record(tx, { rewardId, action: 'void', admin, reason, now });
      return reward;
    });
  }

  async ban(
    admin: CallerIdentity,
    userId: string,
    reason: string,
  ): Promise<{ userId: string; voidedRewards: number }> {
    return this.inTx(async (tx, now) => {
      await tx.query(
        `INSERT INTO referral_users (user_id, banned_at, banned_by, ban_reason) VALUES ($1, $2, $3, $4)
         ON CONFLICT (user_id) DO UPDATE SET banned_at = COALESCE(referral_users.banned_at, $2),
           banned_by = $3, ban_reason = $4`,
        [userId, now, admin.userId, reason],
      );
      const pending = await tx.find(StudentReward, {
        where: [
          { referrerId: userId, status: In(['held', 'review']) },
          { refereeId: userId, status: In(['held', 'review']) },
        ],
        lock: { mode: 'pessimistic_write' },
      });
      for (const reward of pending) await this.voider.execute(tx, reward, 'BANNED', now);
      await this.record(tx, { userId, action: 'ban', admin, reason, now });
      return { userId, voidedRewards: pending.length };
    });
  }

  private async inTx<T>(work: (tx: EntityManager, now: Date) => Promise<T>): Promise<T> {
    const result = await this.dataSource.transaction((tx) => work(tx, this.clock.now()));
    this.relay.kick();
    return result;
  }

  private async reviewed(tx: EntityManager, rewardId: string): Promise<StudentReward> {
    const reward = await tx.findOne(StudentReward, {
      where: { rewardId },
      lock: { mode: 'pessimistic_write' },
    });
    if (!reward) throw new ReferralsError('REWARD_NOT_FOUND', 'no such reward');
    if (reward.status !== 'review') {
      throw new ReferralsError(
        'REVIEW_NOT_PENDING',
        `this reward is ${reward.status}, not waiting for review`,
      );
    }
    return reward;
  }

  private async record(
    tx: EntityManager,
    d: {
      rewardId?: string;
      userId?: string;
      action: ReviewAction;
      admin: CallerIdentity;
      reason: string;
      now: Date;
    },
  ): Promise<void> {
    await tx.query(
      `INSERT INTO review_decisions (id, reward_id, user_id, action, actor, reason, decided_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        randomUUID(),
        d.rewardId ?? null,
        d.userId ?? null,
        d.action,
        d.admin.userId,
        d.reason,
        d.now,
      ],
    );
  }
}
