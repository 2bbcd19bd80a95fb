import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import {
  EventEnvelope,
  InstructorWentLiveV1,
  LessonCompletedV1,
  LessonCompletedV2,
  PayoutFailedV1,
  PayoutPaidV1,
  Topics,
} from '@rewards/contracts';
import { InboxContext, OutboxWriter, runOf } from '@rewards/messaging';
import { Clock } from '@rewards/service-kit';
import { EntityManager, In } from 'typeorm';
import { advanceInstructorReferral } from './advance-instructor-referral';
import {
  awaitingMilestone,
  awaitsMilestone,
  lockRefereeAndRecordLesson,
  lockRefereesAndRecordLessons,
  recordWentLive,
} from './instructor-milestones';
import { InstructorReferral } from './instructor-referral.entity';
import { lockReferee } from './lock-referee';
import { CompletedLesson } from '../program/qualifying-lesson';

/** Moves referred instructors through pending_live -> pending_lesson -> ... -> paid/failed. */
@Controller()
export class InstructorProgramConsumers {
  /** What each run's prelude found, by the run's transaction: gone with the transaction. */
  private readonly preparedRuns = new WeakMap<EntityManager, ReadonlySet<string>>();

  constructor(
    private readonly outbox: OutboxWriter,
    private readonly clock: Clock,
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
    const instructorId = event.payload.instructorId;
    const waiting = this.preparedRuns.get(tx);
    if (waiting !== undefined) {
      if (!waiting.has(instructorId.toLowerCase())) return;
    } else {
      // No prelude (a run redone a savepoint per message): the same, for this lesson alone.
      await lockRefereeAndRecordLesson(tx, completedLesson(event.payload));
      if (!(await awaitsMilestone(tx, instructorId))) return;
    }
    await advanceInstructorReferral(tx, this.outbox, instructorId, this.clock.now());
  }

  @EventPattern(Topics.PayoutPaid)
  async payoutPaid(
    @Payload() event: EventEnvelope<PayoutPaidV1>,
    @Ctx() { tx }: InboxContext,
  ): Promise<void> {
    await tx.update(
      InstructorReferral,
      { payoutId: event.payload.payoutId, status: 'pending_transfer' },
      {
        status: 'paid',
        paidAt: new Date(event.payload.paidAt),
        transferId: event.payload.transferId,
        failureReason: null,
        updatedAt: this.clock.now(),
      },
    );
  }

  @EventPattern(Topics.PayoutFailed)
  async payoutFailed(
    @Payload() event: EventEnvelope<PayoutFailedV1>,
    @Ctx() { tx }: InboxContext,
  ): Promise<void> {
    // Payouts keeps retrying a failure that is not final; only a final one ends the bonus. A
    // final one also ends a paid bonus: Stripe reversed (or failed) the transfer after the fact.
    const final = event.payload.final;
    await tx.update(
      InstructorReferral,
      {
        payoutId: event.payload.payoutId,
        status: final ? In(['pending_transfer', 'paid']) : 'pending_transfer',
      },
      {
        ...(final ? { status: 'failed' as const } : {}),
        failureReason: event.payload.reason,
        updatedAt: this.clock.now(),
      },
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
