import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import {
  BookingCancelledV1,
  BookingConfirmedV1,
  EventEnvelope,
  RewardEarnedV1,
  RewardUnlockedV1,
  RewardVoidedV1,
  RewardVoidedV2,
  Topics,
} from '@rewards/contracts';
import { InboxContext, runOf } from '@rewards/messaging';
import { BookingSettledConsumer } from '../reservations/booking-settled.consumer';
import { RewardEarnedConsumer } from '../rewards/reward-earned.consumer';
import { RewardUnlockedConsumer } from '../rewards/reward-unlocked.consumer';
import { RewardVoidedConsumer } from '../rewards/reward-voided.consumer';

/** What the wallet consumes, each applied inside its inbox transaction. */
@Controller()
export class WalletInbox {
  constructor(
    private readonly rewardEarned: RewardEarnedConsumer,
    private readonly rewardUnlocked: RewardUnlockedConsumer,
    private readonly rewardVoided: RewardVoidedConsumer,
    private readonly bookingSettled: BookingSettledConsumer,
  ) {}

  @EventPattern(runOf(Topics.BookingConfirmed))
  bookingConfirmedRun(
    @Payload() events: Array<EventEnvelope<BookingConfirmedV1>>,
    @Ctx() { tx }: InboxContext,
  ): Promise<void> {
    return this.bookingSettled.lockConfirmedRun(events, tx);
  }

  @EventPattern(Topics.BookingConfirmed)
  bookingConfirmed(
    @Payload() event: EventEnvelope<BookingConfirmedV1>,
    @Ctx() { tx }: InboxContext,
  ): Promise<void> {
    return this.bookingSettled.confirmed(event, tx);
  }

  @EventPattern(Topics.BookingCancelled)
  bookingCancelled(
    @Payload() event: EventEnvelope<BookingCancelledV1>,
    @Ctx() { tx }: InboxContext,
  ): Promise<void> {
    return this.bookingSettled.cancelled(event, tx);
  }

  @EventPattern(Topics.RewardEarned)
  earned(
    @Payload() event: EventEnvelope<RewardEarnedV1>,
    @Ctx() { tx }: InboxContext,
  ): Promise<void> {
    return this.rewardEarned.handle(event, tx);
  }

  @EventPattern(Topics.RewardUnlocked)
  unlocked(
    @Payload() event: EventEnvelope<RewardUnlockedV1>,
    @Ctx() { tx }: InboxContext,
  ): Promise<void> {
    return this.rewardUnlocked.handle(event, tx);
  }

  @EventPattern(Topics.RewardVoided)
  voided(
    @Payload() event: EventEnvelope<RewardVoidedV1 | RewardVoidedV2>,
    @Ctx() { tx }: InboxContext,
  ): Promise<void> {
    return this.rewardVoided.handle(event, tx);
  }
}
