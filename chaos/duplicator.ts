// Duplicate deliveries without touching the services: a consumer of every event topic produces a
// copy of some messages it reads (same topic, key, value and headers, so the same message id),
// a little later. Consumers see them as the redeliveries Kafka is allowed to make; their inboxes
// must make each a no-op. Copies carry a `chaos-duplicate` header so they are not copied again.
import { ALL_TOPICS } from '@rewards/contracts';
import { Consumer, Kafka, Producer } from 'kafkajs';
import { chaosKafka, connectProducer } from './kafka';
import { Prng } from './prng';
import { DuplicatePlan } from './schedule';

const COPY_HEADER = 'chaos-duplicate';

export class Duplicator {
  produced = 0;
  failed = 0;
  seen = 0;
  private readonly rng: Prng;
  private readonly kafka: Kafka;
  private consumer?: Consumer;
  private producer?: Producer;
  private stopped = false;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    brokers: string,
    private readonly plan: DuplicatePlan,
    private readonly say: (line: string) => void,
  ) {
    this.rng = new Prng(plan.seed);
    this.kafka = chaosKafka('chaos-duplicator', brokers, 30);
  }

  async start(): Promise<void> {
    this.producer = await connectProducer(this.kafka);
    await this.startConsumer();
  }

  private async startConsumer(): Promise<void> {
    if (this.stopped) return;
    const consumer = this.kafka.consumer({
      groupId: `chaos-duplicator-${this.plan.seed}-${Date.now()}`,
      sessionTimeout: 10_000,
      heartbeatInterval: 2_500,
      maxWaitTimeInMs: 200,
    });
    this.consumer = consumer;
    // A broker restart can end the consumer for good; come back with a new one.
    consumer.on(consumer.events.CRASH, (event) => {
      if (event.payload.restart || this.stopped) return;
      this.say(`  duplicator: consumer crashed (${String(event.payload.error)}), rejoining`);
      setTimeout(() => void this.startConsumer().catch(() => undefined), 1000);
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [...ALL_TOPICS], fromBeginning: true });
    await consumer.run({
      eachMessage: ({ topic, message }) => {
        if (message.headers?.[COPY_HEADER] !== undefined) return Promise.resolve();
        this.seen += 1;
        if (!this.rng.chance(this.plan.rate)) return Promise.resolve();
        const delay = this.rng.int(0, this.plan.maxDelayMs);
        const copy = {
          key: message.key,
          value: message.value,
          headers: { ...message.headers, [COPY_HEADER]: '1' },
        };
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          if (this.stopped || !this.producer) return;
          this.producer.send({ topic, acks: -1, messages: [copy] }).then(
            () => (this.produced += 1),
            () => (this.failed += 1),
          );
        }, delay);
        this.timers.add(timer);
        return Promise.resolve();
      },
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    await this.consumer?.disconnect().catch(() => undefined);
    await this.producer?.disconnect().catch(() => undefined);
  }
}
