// Wallet credit for the flows' students, as referrals publishes it (a reward-unlocked event), so
// that each checkout spends credit: a hold, a capture, the capture told. The embedded broker keeps
// messages in memory only, so an event sent just before a broker restart can be lost: the flow
// sends the same event again (same id, so the wallet's inbox applies it once) until the student's
// wallet shows it.
import { EventEnvelope } from '@rewards/contracts';
import { Kafka, Producer } from 'kafkajs';
import { chaosKafka, connectProducer } from './kafka';

export class CreditGiver {
  private readonly kafka: Kafka;
  private producer?: Producer;

  constructor(brokers: string) {
    this.kafka = chaosKafka('chaos-credit', brokers, 5);
  }

  async start(): Promise<void> {
    this.producer = await connectProducer(this.kafka);
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
