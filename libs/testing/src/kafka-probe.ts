import { randomUUID } from 'node:crypto';
import { Consumer, Kafka, logLevel, Producer } from 'kafkajs';
import { testBrokers } from './test-infra';

export interface ProbedMessage {
  topic: string;
  key: string | null;
  value: string;
  headers: Record<string, string>;
  /** Where the broker stored it: two messages with equal values are two publications. */
  partition: number;
  offset: string;
}

/**
 * Reads topics from the start in a throwaway consumer group, and produces raw messages: what a
 * test needs to see what a service published, or to feed it a malformed event.
 */
export class KafkaProbe {
  private readonly kafka = new Kafka({
    clientId: 'test-probe',
    brokers: testBrokers(),
    logLevel: logLevel.NOTHING,
  });
  private consumer?: Consumer;
  private producer?: Producer;
  readonly messages: ProbedMessage[] = [];

  async watch(topics: string[]): Promise<void> {
    this.consumer = this.kafka.consumer({ groupId: `probe-${randomUUID()}`, maxWaitTimeInMs: 100 });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics, fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
        this.messages.push({
          topic,
          key: message.key?.toString() ?? null,
          value: message.value?.toString() ?? '',
          headers,
          partition,
          offset: message.offset,
        });
      },
    });
  }

  find(topic: string, predicate: (value: any, m: ProbedMessage) => boolean): ProbedMessage[] {
    return this.messages.filter((m) => {
      if (m.topic !== topic) return false;
      try {
        return predicate(JSON.parse(m.value), m);
      } catch {
        return predicate(m.value, m);
      }
    });
  }

  async produce(topic: string, key: string, value: string): Promise<void> {
    await this.produceBatch(topic, [{ key, value }]);
  }

  /** Sends the messages in one request: with one key, a consumer fetches them as one batch. */
  async produceBatch(
    topic: string,
    messages: Array<{ key: string; value: string }>,
  ): Promise<void> {
    if (!this.producer) {
      this.producer = this.kafka.producer({ allowAutoTopicCreation: false });
      await this.producer.connect();
    }
    await this.producer.send({ topic, messages });
  }

  async close(): Promise<void> {
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
  }
}
