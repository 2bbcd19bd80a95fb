import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import {
  EventEnvelope,
  InstructorWentLiveV1,
  LessonCompletedV1,
  LessonCompletedV2,
  PayoutFailedV1,
  PayoutFailedV2,
  PayoutPaidV1,
  Topics,
} from '@rewards/contracts';
import { InboxContext, OutboxWriter, runOf } from '@rewards/messaging';
import { Clock } from '@rewards/service-kit';
import { EntityManager } from 'typeorm';
import { advanceInstructorReferral, lessonCanAdvance } from './advance-instructor-referral';
import {
  awaitsMilestone,
  lockRefereeAndRecordLesson,
  recordWentLive,
  waitingReferees,
  WaitingReferee,
} from './instructor-milestones';
import { lockReferee } from './lock-referee';
import { FeeRebateRun, GrantFeeRebate } from '../fee-rebate/grant-fee-rebate.usecase';
import { LessonRun, lockAndRecordLessonRun } from '../program/lesson-run';
import { readProgramConfig } from '../program/program-config';
import { CompletedLesson } from '../program/qualifying-lesson';
import {
  RecordStudentLesson,
  StudentLessonsRun,
} from '../student-program/record-student-lesson.usecase';

/** What a run's prelude prepared, for the handlers of the same transaction. */
interface PreparedRun {
  lessons: LessonRun;
  /** Referees waiting for a milestone, by id (lower case); one leaves once it stops waiting. */
  waiting: Map<string, WaitingReferee>;
  /** The instructor program's minimum lesson price, read when a referee may need it. */
  instructorLessonMinimumCents: number | undefined;
  students: StudentLessonsRun;
  feeRebates: FeeRebateRun;
}

/** Moves referred instructors through pending_live -> pending_lesson -> ... -> paid/failed. */
@Controller()
export class InstructorProgramConsumers {
  /** What each run's prelude found, by the run's transaction: gone with the transaction. */
  private readonly preparedRuns = new WeakMap<EntityManager, PreparedRun>();

  constructor(
    private readonly outbox: OutboxWriter,
    private readonly clock: Clock,
    private readonly studentLessons: RecordStudentLesson,
    private readonly feeRebates: GrantFeeRebate,
  ) {}

  @EventPattern(Topics.InstructorWentLive)
  async wentLive(
    @Payload() event: EventEnvelope<InstructorWentLiveV1>,
    @Ctx() { tx }: InboxContext,
  ): Promise<void> {
    const { instructorId, wentLiveAt } = event.payload;
    await lockReferee(tx, instructorId);
    await recordWentLive(tx, instructorId, new Date(wentLiveAt));
    await advanceInstructorReferral(tx, this.outbox, instructorId, this.clock.now());
  }

  /**
   * A run of lesson completions, prepared in a few statements whatever its length: every
   * instructor's and student's lock in one, every lesson kept for both programs in one, then one
   * read per program of who can still be moved by a lesson (referees waiting for a milestone,
   * students awaiting their referrer's reward, instructors a fee rebate can be due for, the
   * fee-rebate setting). The handler below then spends statements only on lessons that change
   * something; most lessons are nobody's first.
   */
  @EventPattern(runOf(Topics.LessonCompleted))
  async lessonsCompleted(
    @Payload() events: Array<EventEnvelope<LessonCompletedV1 | LessonCompletedV2>>,
    @Ctx() { tx }: InboxContext,
  ): Promise<void> {
    const lessons = events.map((e) => completedLesson(e.payload));
    const instructorIds = lessons.map((l) => l.instructorId);
    const run = await lockAndRecordLessonRun(tx, lessons);
    await this.studentLessons.recordCards(tx, lessons, this.clock.now());
    const waiting = await waitingReferees(tx, instructorIds);
    const needsMinimum = [...waiting.values()].some(
      (r) => r.status === 'pending_lesson' || r.wentLive,
    );
    this.preparedRuns.set(tx, {
      lessons: run,
      waiting,
      instructorLessonMinimumCents: needsMinimum
        ? (await readProgramConfig(tx)).instructorLessonMinimumCents
        : undefined,
      students: await this.studentLessons.prepareRun(tx, lessons),
      feeRebates: await this.feeRebates.prepareRun(tx, instructorIds),
    });
  }

  @EventPattern(Topics.LessonCompleted)
  async lessonCompleted(
    @Payload() event: EventEnvelope<LessonCompletedV1 | LessonCompletedV2>,
    @Ctx() { tx }: InboxContext,
  ): Promise<void> {
    const lesson = completedLesson(event.payload);
    const prepared = this.preparedRuns.get(tx);
    if (prepared === undefined) {
      // No prelude (a run redone a savepoint per message): the same, for this lesson alone.
      await this.lessonAlone(tx, lesson);
      return;
    }
    const now = this.clock.now();
    prepared.lessons.reach(lesson.bookingId);
    const instructorId = lesson.instructorId.toLowerCase();
    await this.advanceInRun(tx, instructorId, now, prepared);
    await this.studentLessons.executeInRun(tx, lesson, now, prepared.lessons, prepared.students);
    await this.feeRebates.executeInRun(
      tx,
      instructorId,
      now,
      prepared.lessons,
      prepared.feeRebates,
    );
  }

  /** The instructor program's part of a lesson in a prepared run: only a referee it moves. */
  private async advanceInRun(
    tx: EntityManager,
    instructorId: string,
    now: Date,
    prepared: PreparedRun,
  ): Promise<void> {
    const referee = prepared.waiting.get(instructorId);
    const notReached = prepared.lessons.instructorLessonsNotReached;
    const minimum = prepared.instructorLessonMinimumCents;
    if (referee === undefined || !lessonCanAdvance(referee, notReached, minimum)) return;
    const referral = await advanceInstructorReferral(
      tx,
      this.outbox,
      instructorId,
      now,
      notReached,
    );
    if (referral?.status === 'pending_live' || referral?.status === 'pending_lesson') {
      referee.status = referral.status; // still waiting: for a later lesson of the run
    } else {
      prepared.waiting.delete(instructorId);
    }
  }

  /**
   * One lesson without a prelude: the instructor's lock and lesson, then each program's work
   * (the student's referrer may earn a student-program reward, the instructor's referrer a fee
   * rebate where a program grants one).
   */
  private async lessonAlone(tx: EntityManager, lesson: CompletedLesson): Promise<void> {
    const now = this.clock.now();
    await lockRefereeAndRecordLesson(tx, lesson);
    await this.studentLessons.recordCards(tx, [lesson], now);
    if (await awaitsMilestone(tx, lesson.instructorId)) {
      await advanceInstructorReferral(tx, this.outbox, lesson.instructorId, now);
    }
    await this.studentLessons.execute(tx, lesson, now);
    await this.feeRebates.execute(tx, lesson.instructorId, now);
  }

  @EventPattern(Topics.PayoutPaid)
  async payoutPaid(
    @Payload() event: EventEnvelope<PayoutPaidV1>,
    @Ctx() { tx }: InboxContext,
  ): Promise<void> {
    const p = event.payload;
    // A payout retried after failing (even for good: an admin may retry it) ends paid; a
    // payout-paid older than the failure it would override (a late delivery) changes nothing.
    await tx.query(
      `UPDATE instructor_referrals
       SET status = 'paid', paid_at = $2, transfer_id = $3, failure_reason = NULL,
         next_retry_at = NULL, payout_event_at = $2, updated_at = $4
       WHERE payout_id = $1 AND status IN ('pending_transfer', 'failed')
         AND (payout_event_at IS NULL OR payout_event_at < $2)`,
      [p.payoutId, new Date(p.paidAt), p.transferId, this.clock.now()],
    );
  }

  @EventPattern(Topics.PayoutFailed)
  async payoutFailed(
    @Payload() event: EventEnvelope<PayoutFailedV1 | PayoutFailedV2>,
    @Ctx() { tx }: InboxContext,
  ): Promise<void> {
    const p = event.payload;
    // v1 never said when the next attempt is; it was only published for final failures.
    const nextRetryAt =
      !p.final && 'nextAttemptAt' in p && p.nextAttemptAt !== null
        ? new Date(p.nextAttemptAt)
        : null;
    // Failed for now: shown failed, retrying at nextRetryAt. A final failure also ends a paid
    // bonus: Stripe reversed (or failed) the transfer after the fact. Older facts are ignored.
    await tx.query(
      `UPDATE instructor_referrals
       SET status = 'failed', failure_reason = $2, next_retry_at = $3, payout_event_at = $4,
         updated_at = $5
       WHERE payout_id = $1 AND status = ANY($6)
         AND (payout_event_at IS NULL OR payout_event_at < $4)`,
      [
        p.payoutId,
        p.reason,
        nextRetryAt,
        new Date(p.failedAt),
        this.clock.now(),
        p.final ? ['pending_transfer', 'failed', 'paid'] : ['pending_transfer', 'failed'],
      ],
    );
  }
}

function completedLesson(p: LessonCompletedV1 | LessonCompletedV2): CompletedLesson {
  return {
    bookingId: p.bookingId,
    studentId: p.studentId,
    instructorId: p.instructorId,
    priceCents: p.price.amountCents,
    // v1 does not say when the lesson started: it cannot qualify (see qualifying-lesson.ts).
    startsAt: 'startsAt' in p ? new Date(p.startsAt) : null,
    completedAt: new Date(p.completedAt),
    paymentFingerprintHash: 'paymentFingerprintHash' in p ? p.paymentFingerprintHash : null,
  };
}
