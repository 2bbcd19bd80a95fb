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
import { advanceInstructorReferral } from './advance-instructor-referral';
import {
  awaitingMilestone,
  awaitsMilestone,
  lockRefereeAndRecordLesson,
  lockRefereesAndRecordLessons,
  recordWentLive,
} from './instructor-milestones';
import { lockReferee } from './lock-referee';
import { CompletedLesson } from '../program/qualifying-lesson';
import { GrantFeeRebate } from '../fee-rebate/grant-fee-rebate.usecase';
import { RecordStudentLesson } from '../student-program/record-student-lesson.usecase';

/** Moves referred instructors through pending_live -> pending_lesson -> ... -> paid/failed. */
@Controller()
export class InstructorProgramConsumers {
  /** What each run's prelude found, by the run's transaction: gone with the transaction. */
  private readonly preparedRuns = new WeakMap<EntityManager, ReadonlySet<string>>();

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
   * A run of lesson completions: every referee lock and every lesson in two statements, and one
   * read for which instructors are referees still waiting; the handler below then does nothing
   * more for the others, most lessons being nobody's first.
   */
  @EventPattern(runOf(Topics.LessonCompleted))
  async lessonsCompleted(
    @Payload() events: Array<EventEnvelope<LessonCompletedV1 | LessonCompletedV2>>,
    @Ctx() { tx }: InboxContext,
  ): Promise<void> {
    const lessons = events.map((e) => completedLesson(e.payload));
    await lockRefereesAndRecordLessons(tx, lessons);
    const waiting = await awaitingMilestone(
      tx,
      lessons.map((l) => l.instructorId),
    );
    this.preparedRuns.set(tx, waiting);
  }

  @EventPattern(Topics.LessonCompleted)
  async lessonCompleted(
    @Payload() event: EventEnvelope<LessonCompletedV1 | LessonCompletedV2>,
    @Ctx() { tx }: InboxContext,
  ): Promise<void> {
    const lesson = completedLesson(event.payload);
    const instructorId = lesson.instructorId;
    const waiting = this.preparedRuns.get(tx);
    // The instructor program: most lessons are nobody's first, and the run's prelude knows.
    if (waiting !== undefined ? waiting.has(instructorId.toLowerCase()) : true) {
      if (waiting === undefined) {
        // No prelude (a run redone a savepoint per message): the same, for this lesson alone.
        await lockRefereeAndRecordLesson(tx, lesson);
      }
      if (waiting !== undefined || (await awaitsMilestone(tx, instructorId))) {
        await advanceInstructorReferral(tx, this.outbox, instructorId, this.clock.now());
      }
    }
    // The same lesson may earn the student's referrer a student-program reward, and the
    // instructor's referrer a fee rebate where a program grants one.
    await this.studentLessons.execute(tx, lesson, this.clock.now());
    await this.feeRebates.execute(tx, instructorId, this.clock.now());
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
  };
}
