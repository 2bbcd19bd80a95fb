import { Injectable, OnModuleInit } from '@nestjs/common';
import { Topics } from '@rewards/contracts';
import { InboxConsumer, OutboxWriter } from '@rewards/messaging';
import { Clock } from '@rewards/service-kit';
import { issueReferralCode } from '../codes/issue-referral-code';
import { advanceInstructorReferral } from '../instructor-program/advance-instructor-referral';
import { attributeSignup } from './attribute-signup';

/** A new user gets their referral code, and their signup code (if any) is attributed. */
@Injectable()
export class UserRegisteredConsumer implements OnModuleInit {
  constructor(
    private readonly inbox: InboxConsumer,
    private readonly outbox: OutboxWriter,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.inbox.on(Topics.UserRegistered, async (event, tx) => {
      const now = this.clock.now();
      await issueReferralCode(tx, event.payload.userId, event.payload.role, now);
      const attribution = await attributeSignup(tx, this.outbox, event.payload, now);
      // The referee may have gone live, even taught, before this signup event arrived.
      if (attribution?.outcome === 'attributed' && attribution.program === 'instructor') {
        await advanceInstructorReferral(tx, this.outbox, attribution.refereeId, now);
      }
    });
  }
}
