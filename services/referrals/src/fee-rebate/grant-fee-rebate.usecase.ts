import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { Attribution } from '../attribution/attribution.entity';
import { readLessons } from '../instructor-program/instructor-milestones';
import { readProgramConfig } from '../program/program-config';
import { DecideStudentReward } from '../student-program/decide-student-reward.usecase';
import { readStudentProgramSettings } from '../student-program/student-program-settings';
import { StudentReward } from '../student-program/student-reward.entity';
import { FeeRebateSettings, feeRebateProblem, lessonEarningRebate } from './fee-rebate-rule';

/**
 * When a program enables it (program_config `instructor_fee_rebate`), a referring instructor
 * earns a platform-fee rebate once the instructor they referred has taught `lessons` qualifying
 * lessons within `windowDays`. It is held and unlocked like the student credit (the wallet keeps
 * it as a `fee_rebate`, funded from the fee-rebate expense account). Callers hold the referee's
 * lock; once decided, it is never decided again.
 */
@Injectable()
export class GrantFeeRebate {
  constructor(private readonly rewards: DecideStudentReward) {}

  async execute(tx: EntityManager, instructorId: string, now: Date): Promise<void> {
    const [row] = await tx.query<Array<{ value: unknown }>>(
      "SELECT value FROM program_config WHERE key = 'instructor_fee_rebate'",
    );
    const problem = feeRebateProblem(row?.value);
    if (problem) throw new Error(`program_config instructor_fee_rebate ${problem}`);
    const settings = row.value as FeeRebateSettings;
    if (!settings.enabled) return;
    const attribution = await tx.findOneBy(Attribution, { refereeId: instructorId });
    if (attribution?.outcome !== 'attributed' || attribution.program !== 'instructor') return;
    if (await tx.findOneBy(StudentReward, { refereeId: instructorId, kind: 'fee_rebate' })) return;
    const referrerId = attribution.referrerId!;
    const config = await readProgramConfig(tx);
    const lesson = lessonEarningRebate(await readLessons(tx, instructorId), settings, {
      minimumPriceCents: config.instructorLessonMinimumCents,
      referrerId,
    });
    if (!lesson) return;
    const { holdDays } = await readStudentProgramSettings(tx);
    const reward = tx.create(StudentReward, {
      rewardId: randomUUID(),
      refereeId: instructorId,
      referrerId,
      kind: 'fee_rebate',
      status: 'held',
      reason: 'HELD_REFUND_WINDOW',
      amountCents: settings.amountCents,
      currency: config.currency,
      bookingId: lesson.bookingId,
      phase: null,
      decidedAt: now,
      holdUntil: new Date(now.getTime() + holdDays * 86_400_000),
      reviewExpiresAt: null,
      earned: true,
      unlockedAt: null,
      voidedAt: null,
      clawback: false,
      updatedAt: now,
    });
    await tx.insert(StudentReward, reward);
    await this.rewards.publishEarned(tx, reward, now);
  }
}
