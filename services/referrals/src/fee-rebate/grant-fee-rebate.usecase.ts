import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { Attribution } from '../attribution/attribution.entity';
import { readLessons } from '../instructor-program/instructor-milestones';
import { LessonRun, reachedLessons } from '../program/lesson-run';
import { readProgramConfig } from '../program/program-config';
import { DecideStudentReward } from '../student-program/decide-student-reward.usecase';
import { readStudentProgramSettings } from '../student-program/student-program-settings';
import { StudentReward } from '../student-program/student-reward.entity';
import { AwaitingRebate, instructorsAwaitingRebate } from './awaiting-rebates';
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

  /**
   * Decides the rebate for one instructor if it is due now; the new reward, if any. In a run of
   * lesson completions, `notReached` keeps out the run's lessons not handled yet (LessonRun).
   */
  async execute(
    tx: EntityManager,
    instructorId: string,
    now: Date,
    notReached?: ReadonlySet<string>,
  ): Promise<StudentReward | undefined> {
    const settings = await readFeeRebateSettings(tx);
    if (!settings.enabled) return undefined;
    const attribution = await tx.findOneBy(Attribution, { refereeId: instructorId });
    if (attribution?.outcome !== 'attributed' || attribution.program !== 'instructor') {
      return undefined;
    }
    if (await tx.findOneBy(StudentReward, { refereeId: instructorId, kind: 'fee_rebate' })) {
      return undefined;
    }
    const referrerId = attribution.referrerId!;
    const config = await readProgramConfig(tx);
    const lessons = await readLessons(tx, instructorId, notReached);
    const lesson = lessonEarningRebate(lessons, settings, {
      minimumPriceCents: config.instructorLessonMinimumCents,
      referrerId,
    });
    if (!lesson) return undefined;
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
    return reward;
  }

  /**
   * A run's prelude, once the run's locks are taken and its lessons kept (lockAndRecordLessonRun):
   * the setting read once for the run and, when a program grants rebates, one read of the run's
   * instructors a rebate can still be due to.
   */
  async prepareRun(tx: EntityManager, instructorIds: readonly string[]): Promise<FeeRebateRun> {
    const settings = await readFeeRebateSettings(tx);
    if (!settings.enabled) return { settings, awaiting: new Map(), lessonMinimumCents: 0 };
    const awaiting = await instructorsAwaitingRebate(tx, instructorIds);
    if (awaiting.size === 0) return { settings, awaiting, lessonMinimumCents: 0 };
    const { instructorLessonMinimumCents } = await readProgramConfig(tx);
    return { settings, awaiting, lessonMinimumCents: instructorLessonMinimumCents };
  }

  /**
   * The lesson's turn in a prepared run: execute only when the lessons reached so far earn the
   * rebate (otherwise it would grant nothing), so most lessons cost no statement here.
   */
  async executeInRun(
    tx: EntityManager,
    instructorId: string,
    now: Date,
    run: LessonRun,
    prepared: FeeRebateRun,
  ): Promise<void> {
    if (!prepared.settings.enabled) return;
    const id = instructorId.toLowerCase();
    const instructor = prepared.awaiting.get(id);
    if (instructor === undefined) return;
    const reached = reachedLessons(instructor.lessons, run.instructorLessonsNotReached);
    const rule = {
      minimumPriceCents: prepared.lessonMinimumCents,
      referrerId: instructor.referrerId,
    };
    if (lessonEarningRebate(reached, prepared.settings, rule) === undefined) return;
    const granted = await this.execute(tx, id, now, run.instructorLessonsNotReached);
    if (granted !== undefined) prepared.awaiting.delete(id);
  }
}

/** What a run's prelude found for fee rebates. */
export interface FeeRebateRun {
  settings: FeeRebateSettings;
  /** By instructor id (lower case); an instructor leaves once granted. */
  awaiting: Map<string, AwaitingRebate>;
  /** The instructor program's minimum lesson price, read when someone awaits. */
  lessonMinimumCents: number;
}

async function readFeeRebateSettings(tx: EntityManager): Promise<FeeRebateSettings> {
  const [row] = await tx.query<Array<{ value: unknown }>>(
    "SELECT value FROM program_config WHERE key = 'instructor_fee_rebate'",
  );
  const problem = feeRebateProblem(row?.value);
  if (problem) throw new Error(`program_config instructor_fee_rebate ${problem}`);
  return row.value as FeeRebateSettings;
}
