import { Injectable, OnModuleInit } from '@nestjs/common';
import { Topics } from '@rewards/contracts';
import { InboxConsumer } from '@rewards/messaging';
import { RewardUnlockedConsumer } from '../rewards/reward-unlocked.consumer';
import { RewardVoidedConsumer } from '../rewards/reward-voided.consumer';

/** What the wallet consumes; registered before the messaging lifecycle starts the consumer. */
@Injectable()
export class WalletInbox implements OnModuleInit {
  constructor(
    private readonly inbox: InboxConsumer,
    private readonly rewardUnlocked: RewardUnlockedConsumer,
    private readonly rewardVoided: RewardVoidedConsumer,
  ) {}

  onModuleInit(): void {
    this.inbox.on(Topics.RewardUnlocked, (event, tx) => this.rewardUnlocked.handle(event, tx));
    this.inbox.on(Topics.RewardVoided, (event, tx) => this.rewardVoided.handle(event, tx));
  }
}
