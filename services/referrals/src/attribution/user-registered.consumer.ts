import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { EventEnvelope, Topics, UserRegisteredV1 } from '@rewards/contracts';
import { InboxContext, OutboxWriter } from '@rewards/messaging';
import { Clock } from '@rewards/service-kit';
import { ClickRecorder } from '../clicks/click-recorder';
import { recordSignupAttribution } from '../clicks/record-signup-attribution';
import { issueReferralCode } from '../codes/issue-referral-code';
import { advanceInstructorReferral } from '../instructor-program/advance-instructor-referral';
import { lockReferee } from '../instructor-program/lock-referee';

/** A new user gets their referral code, and their signup code (if any) is attributed. */
@Controller()
export class UserRegisteredConsumer {
  constructor(
    private readonly outbox: OutboxWriter,
    private readonly clock: Clock,
    private readonly clicks: ClickRecorder,
  ) {}

  @EventPattern(Topics.UserRegistered)
  async userRegistered(
    @Payload() event: EventEnvelope<UserRegisteredV1>,
    @Ctx() { tx }: InboxContext,
  ): Promise<void> {
    const now = this.clock.now();
    // The signup's click may still be buffered here; written first so the decision sees it.
    await this.clicks.flush();
    await lockReferee(tx, event.payload.userId);
    await issueReferralCode(tx, event.payload.userId, event.payload.role, now);
    const attribution = await recordSignupAttribution(tx, this.outbox, event.payload, now);
    // The referee may have gone live, even taught, before this signup event arrived.
    if (attribution?.outcome === 'attributed' && attribution.program === 'instructor') {
      await advanceInstructorReferral(tx, this.outbox, attribution.refereeId, now);
    }
  }
}
