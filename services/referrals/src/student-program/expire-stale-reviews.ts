import { randomUUID } from 'node:crypto';
import { EntityManager, LessThanOrEqual } from 'typeorm';
import { StudentReward } from './student-reward.entity';
import { VoidStudentReward } from './void-student-reward.usecase';

/** Reviews nobody decided within their expiry are voided, recorded as decided by the system. */
export async function expireStaleReviews(
  tx: EntityManager,
  voider: VoidStudentReward,
  now: Date,
  limit: number,
): Promise<number> {
  const stale = await tx.find(StudentReward, {
    where: { status: 'review', reviewExpiresAt: LessThanOrEqual(now) },
    order: { reviewExpiresAt: 'ASC' },
    take: limit,
    lock: { mode: 'pessimistic_write', onLocked: 'skip_locked' },
  });
  for (const reward of stale) {
    await voider.execute(tx, reward, 'REVIEW_EXPIRED', now);
    await tx.query(
      `INSERT INTO review_decisions (id, reward_id, user_id, action, actor, reason, decided_at)
       VALUES ($1, $2, NULL, 'expire', 'system', 'left in review past its expiry', $3)`,
      [randomUUID(), reward.rewardId, now],
    );
  }
  return stale.length;
}
