import { Injectable } from '@nestjs/common';
import { Topics } from '@rewards/contracts';
import { OutboxWriter } from '@rewards/messaging';
import { EntityManager } from 'typeorm';
import { RewardReason } from './reward-verdict';
import { StudentReward } from './student-reward.entity';

/**
 * Voids a reward that is held, in review or unlocked. One that had unlocked is clawed back: the
 * wallet takes back what is left of the credit and records the rest as debt (reward-voided v2,
 * clawback true). A reward the wallet never heard of (in review) needs no event. Refused and
 * voided rewards stay as they are.
 */
@Injectable()
export class VoidStudentReward {
  constructor(private readonly outbox: OutboxWriter) {}

  async execute(
    tx: EntityManager,
    reward: StudentReward,
    reason: RewardReason,
    now: Date,
  ): Promise<boolean> {
    if (reward.status === 'voided' || reward.status === 'refused') return false;
    const clawback = reward.status === 'unlocked';
    const announced = reward.earned || clawback;
    Object.assign(reward, {
      status: 'voided',
      reason,
      voidedAt: now,
      clawback,
      holdUntil: null,
      updatedAt: now,
    });
    await tx.save(reward);
    if (!announced) return true;
    await this.outbox.add(
      tx,
      Topics.RewardVoided,
      reward.rewardId,
      {
        rewardId: reward.rewardId,
        beneficiaryId: reward.referrerId,
        reason,
        clawback,
        voidedAt: now.toISOString(),
      },
      { occurredAt: now },
    );
    return true;
  }
}
