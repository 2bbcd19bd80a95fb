import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import {
  EventEnvelope,
  ReferralAttributedV1,
  ReferralAttributedV2,
  Topics,
} from '@rewards/contracts';
import { InboxContext } from '@rewards/messaging';
import { Clock } from '@rewards/service-kit';
import { RefereeDiscounts } from './referee-discounts';

/**
 * Learns each student referee's first-lesson discount, to apply at checkout. A v1 event carries
 * no benefit: bookings cannot know it, so it records none (referrals publishes v2 since).
 */
@Controller()
export class ReferralAttributedConsumer {
  constructor(
    private readonly discounts: RefereeDiscounts,
    private readonly clock: Clock,
  ) {}

  @EventPattern(Topics.ReferralAttributed)
  async attributed(
    @Payload() event: EventEnvelope<ReferralAttributedV1 | ReferralAttributedV2>,
    @Ctx() { tx }: InboxContext,
  ): Promise<void> {
    const a = event.payload;
    if (a.program !== 'student' || !('refereeDiscount' in a) || a.refereeDiscount === null) return;
    await this.discounts.record(
      tx,
      {
        studentId: a.refereeId,
        referrerId: a.referrerId,
        attributionId: a.attributionId,
        attributedAt: new Date(a.attributedAt),
      },
      a.refereeDiscount,
      this.clock.now(),
    );
  }
}
