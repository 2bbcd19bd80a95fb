import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { BookingCancelledV1, EventEnvelope, Topics, UserVerifiedV1 } from '@rewards/contracts';
import { InboxContext } from '@rewards/messaging';
import { Clock } from '@rewards/service-kit';
import { lockReferee } from '../instructor-program/lock-referee';
import { DecideStudentReward } from './decide-student-reward.usecase';
import { StudentReward } from './student-reward.entity';
import { VoidStudentReward } from './void-student-reward.usecase';

/** Facts from bookings that move student rewards: verification and refunds. */
@Controller()
export class StudentProgramConsumers {
  constructor(
    private readonly decide: DecideStudentReward,
    private readonly voider: VoidStudentReward,
    private readonly clock: Clock,
  ) {}

  /** Verification only ever adds: a later event never un-verifies what an earlier one verified. */
  @EventPattern(Topics.UserVerified)
  async userVerified(
    @Payload() event: EventEnvelope<UserVerifiedV1>,
    @Ctx() { tx }: InboxContext,
  ): Promise<void> {
    const { userId, emailVerified, phoneVerified } = event.payload;
    await lockReferee(tx, userId);
    await tx.query(
      `INSERT INTO referral_users (user_id, email_verified, phone_verified) VALUES ($1, $2, $3)
       ON CONFLICT (user_id) DO UPDATE
         SET email_verified = referral_users.email_verified OR EXCLUDED.email_verified,
             phone_verified = referral_users.phone_verified OR EXCLUDED.phone_verified`,
      [userId, emailVerified, phoneVerified],
    );
    await this.decide.execute(tx, userId, this.clock.now());
  }

  /**
   * A cancelled or refunded lesson no longer qualifies; the reward it earned is voided (inside
   * the hold) or clawed back (after unlock).
   */
  @EventPattern(Topics.BookingCancelled)
  async bookingCancelled(
    @Payload() event: EventEnvelope<BookingCancelledV1>,
    @Ctx() { tx }: InboxContext,
  ): Promise<void> {
    const { bookingId, studentId, cancelledAt, refunded } = event.payload;
    await lockReferee(tx, studentId);
    await tx.query(
      `UPDATE student_lessons SET cancelled_at = $2 WHERE booking_id = $1 AND cancelled_at IS NULL`,
      [bookingId, new Date(cancelledAt)],
    );
    const reward = await tx.findOne(StudentReward, {
      where: { bookingId, kind: 'student_referral_credit' },
      lock: { mode: 'pessimistic_write' },
    });
    if (!reward) return;
    // A cancellation without a refund still means the lesson did not take place as paid.
    void refunded;
    const reason = reward.status === 'unlocked' ? 'REFUNDED_AFTER_UNLOCK' : 'REFUNDED_IN_HOLD';
    await this.voider.execute(tx, reward, reason, this.clock.now());
  }
}
