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
import { InboxContext, OutboxWriter } from '@rewards/messaging';
import { Clock } from '@rewards/service-kit';
import { In } from 'typeorm';
import { advanceInstructorReferral } from './advance-instructor-referral';
import { recordLessonCompleted, recordWentLive } from './instructor-milestones';
import { InstructorReferral } from './instructor-referral.entity';
import { lockReferee } from './lock-referee';
import { GrantFeeRebate } from '../fee-rebate/grant-fee-rebate.usecase';
import { RecordStudentLesson } from '../student-program/record-student-lesson.usecase';

/** Moves referred instructors through pending_live -> pending_lesson -> ... -> paid/failed. */
@Controller()
export class InstructorProgramConsumers {
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

  @EventPattern(Topics.LessonCompleted)
  async lessonCompleted(
    @Payload() event: EventEnvelope<LessonCompletedV1 | LessonCompletedV2>,
    @Ctx() { tx }: InboxContext,
  ): Promise<void> {
    const p = event.payload;
    await lockReferee(tx, p.instructorId);
    const lesson = {
      bookingId: p.bookingId,
      studentId: p.studentId,
      instructorId: p.instructorId,
      priceCents: p.price.amountCents,
      // v1 does not say when the lesson started: it cannot qualify (see qualifying-lesson.ts).
      startsAt: 'startsAt' in p ? new Date(p.startsAt) : null,
      completedAt: new Date(p.completedAt),
    };
    await recordLessonCompleted(tx, lesson);
    const instructorId = p.instructorId;
    await advanceInstructorReferral(tx, this.outbox, instructorId, this.clock.now());
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
