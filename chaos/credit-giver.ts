// Wallet credit for the flows' students, as referrals publishes it (a reward-unlocked event), so
// that each checkout spends credit: a hold, a capture, the capture told. The embedded broker keeps
// messages in memory only, so an event sent just before a broker restart can be lost: the flow
// sends the same event again (same id, so the wallet's inbox applies it once) until the student's
// wallet shows it.
import { randomUUID } from 'node:crypto';
import { createEnvelope, EventEnvelope, Topics } from '@rewards/contracts';
import { Kafka, logLevel, Partitioners, Producer } from 'kafkajs';

export class CreditGiver {
  private readonly kafka: Kafka;
  private producer?: Producer;

  constructor(brokers: string) {
    this.kafka = new Kafka({
      clientId: 'chaos-credit',
      brokers: brokers.split(','),
      connectionTimeout: 3000,
      retry: { initialRetryTime: 300, retries: 5 },
      logLevel: logLevel.NOTHING,
    });
  }

  async start(): Promise<void> {
    const producer = this.kafka.producer({
      allowAutoTopicCreation: false,
      idempotent: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    this.producer = producer;
  }

  /** A reward of `amountCents` student credit for `userId`, unlocked now; not sent yet. */
  reward(userId: string, amountCents: number): EventEnvelope<object> {
    const rewardId = randomUUID();
    const unlockedAt = new Date();
    return createEnvelope({
      type: Topics.RewardUnlocked,
      version: 1,
      producer: 'referrals',
      key: rewardId,
      occurredAt: unlockedAt,
      payload: {
        rewardId,
        beneficiaryId: userId,
        kind: 'student_referral_credit',
        amount: { amountCents, currency: 'USD' },
        expiresAt: new Date(unlockedAt.getTime() + 180 * 86_400_000).toISOString(),
        unlockedAt: unlockedAt.toISOString(),
      },
    });
  }

  /** Sends the reward's event (again: the wallet applies one id once). */
  async send(event: EventEnvelope<object>): Promise<void> {
    if (!this.producer) throw new Error('credit giver not started');
    await this.producer.send({
      topic: event.type,
      messages: [{ key: event.key, value: JSON.stringify(event) }],
    });
  }

  async stop(): Promise<void> {
    await this.producer?.disconnect().catch(() => undefined);
  }
}
