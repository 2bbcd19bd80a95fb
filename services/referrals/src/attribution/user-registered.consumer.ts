import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { EventEnvelope, Topics, UserRegisteredV1 } from '@rewards/contracts';
import { InboxContext, OutboxWriter } from '@rewards/messaging';
import { Clock } from '@rewards/service-kit';
import { issueReferralCode } from '../codes/issue-referral-code';
import { advanceInstructorReferral } from '../instructor-program/advance-instructor-referral';
import { lockReferee } from '../instructor-program/lock-referee';
import { attributeSignup } from './attribute-signup';

/** A new user gets their referral code, and their signup code (if any) is attributed. */
@Controller()
export class UserRegisteredConsumer {
  constructor(
    private readonly outbox: OutboxWriter,
    private readonly clock: Clock,
  ) {}

  @EventPattern(Topics.UserRegistered)
  async userRegistered(
    @Payload() event: EventEnvelope<UserRegisteredV1>,
    @Ctx() { tx }: InboxContext,
  ): Promise<void> {
    const now = this.clock.now();
    await lockReferee(tx, event.payload.userId);
    await issueReferralCode(tx, event.payload.userId, event.payload.role, now);
    const attribution = await attributeSignup(tx, this.outbox, event.payload, now);
    // The referee may have gone live, even taught, before this signup event arrived.
    if (attribution?.outcome === 'attributed' && attribution.program === 'instructor') {
      await advanceInstructorReferral(tx, this.outbox, attribution.refereeId, now);
    }
  }
}
