import { Injectable, OnModuleInit } from '@nestjs/common';
import { Topics } from '@rewards/contracts';
import { InboxConsumer, OutboxWriter } from '@rewards/messaging';
import { Clock } from '@rewards/service-kit';
import { advanceInstructorReferral } from './advance-instructor-referral';
import { recordLessonCompleted, recordWentLive } from './instructor-milestones';
import { InstructorReferral } from './instructor-referral.entity';

/** Moves referred instructors through pending_live -> pending_lesson -> ... -> paid/failed. */
@Injectable()
export class InstructorProgramConsumers implements OnModuleInit {
  constructor(
    private readonly inbox: InboxConsumer,
    private readonly outbox: OutboxWriter,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.inbox.on(Topics.InstructorWentLive, async (event, tx) => {
      const { instructorId, wentLiveAt } = event.payload;
      await recordWentLive(tx, instructorId, new Date(wentLiveAt));
      await advanceInstructorReferral(tx, this.outbox, instructorId, this.clock.now());
    });

    this.inbox.on(Topics.LessonCompleted, async (event, tx) => {
      const { instructorId, bookingId, completedAt } = event.payload;
      await recordLessonCompleted(tx, instructorId, bookingId, new Date(completedAt));
      await advanceInstructorReferral(tx, this.outbox, instructorId, this.clock.now());
    });

    this.inbox.on(Topics.PayoutPaid, async (event, tx) => {
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
    });

    this.inbox.on(Topics.PayoutFailed, async (event, tx) => {
      // Payouts keeps retrying a failure that is not final; only a final one ends the bonus.
      if (!event.payload.final) {
        await tx.update(
          InstructorReferral,
          { payoutId: event.payload.payoutId, status: 'pending_transfer' },
          { failureReason: event.payload.reason, updatedAt: this.clock.now() },
        );
        return;
      }
      await tx.update(
        InstructorReferral,
        { payoutId: event.payload.payoutId, status: 'pending_transfer' },
        { status: 'failed', failureReason: event.payload.reason, updatedAt: this.clock.now() },
      );
    });
  }
}
