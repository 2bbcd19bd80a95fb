// Produces lesson-completed events at a fixed rate, shaped like bookings' own: a valid envelope
// from libs/contracts, key = booking id (as bookings keys it), instructors drawn from a pool so
// the referrals handler meets both new and known instructors.
import { CurrentEvents, PayloadOf, Topics, createEnvelope, money } from '@rewards/contracts';
import { randomInt, randomUUID } from 'node:crypto';
import { Kafka, Partitioners, Producer, logLevel } from 'kafkajs';

// One produce request per partition leader per send; bounds a catch-up burst after a stall.
const MAX_PER_SEND = 1000;

export interface LoadOptions {
  brokers: string;
  /** Events per second. */
  rate: number;
  instructors: number;
  /**
   * How often a send goes out with what is due. The embedded broker (librdkafka's mock) answers
   * a fetch with one produced message set per partition, so this also sets the consumer's batch
   * size there; a real Kafka coalesces. 20 ms is about what bookings' relay sends under load.
   */
  sendIntervalMs: number;
}

export class LessonCompletedLoad {
  private readonly kafka: Kafka;
  private producer?: Producer;
  private readonly instructorIds: string[];
  private startedAt = 0;
  private stopping = false;
  private loop?: Promise<void>;
  private sent = 0;
  private failures = 0;
  private lastError?: string;

  constructor(private readonly options: LoadOptions) {
    this.kafka = new Kafka({
      clientId: 'bench-pipeline-load',
      brokers: options.brokers.split(','),
      logLevel: logLevel.ERROR,
    });
    this.instructorIds = Array.from({ length: options.instructors }, () => randomUUID());
  }

  /** Events the broker acknowledged. */
  get produced(): number {
    return this.sent;
  }

  get sendFailures(): { count: number; last?: string } {
    return { count: this.failures, last: this.lastError };
  }

  async connect(): Promise<void> {
    // The platform's producer settings (kafkajs-message-bus): no idempotence on the mock.
    this.producer = this.kafka.producer({
      allowAutoTopicCreation: false,
      idempotent: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await this.producer.connect();
  }

  start(): void {
    this.startedAt = performance.now();
    this.loop = this.run();
  }

  /** Stops producing; resolves once the send in flight is acknowledged. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
  }

  async disconnect(): Promise<void> {
    await this.producer?.disconnect();
  }

  // Sends what is due by the clock, so a slow send is caught up rather than lowering the rate;
  // the achieved rate is reported, so a producer that cannot keep up shows.
  private async run(): Promise<void> {
    const producer = this.producer;
    if (producer === undefined) throw new Error('connect() first');
    while (!this.stopping) {
      const due =
        Math.floor(((performance.now() - this.startedAt) / 1000) * this.options.rate) - this.sent;
      if (due <= 0) {
        await new Promise((resolve) => setTimeout(resolve, this.options.sendIntervalMs));
        continue;
      }
      const count = Math.min(due, MAX_PER_SEND);
      const messages = Array.from({ length: count }, () => this.message());
      try {
        await producer.send({ topic: Topics.LessonCompleted, acks: -1, messages });
        this.sent += count;
      } catch (err) {
        // The schedule keeps counting, so the deficit shows as a lower achieved rate.
        this.failures += 1;
        this.lastError = err instanceof Error ? err.message : String(err);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  private message(): { key: string; value: string; headers: Record<string, string> } {
    const now = new Date();
    const bookingId = randomUUID();
    // The current version's type, so a contract change breaks this file's build, not the run.
    const payload: PayloadOf<typeof Topics.LessonCompleted> = {
      bookingId,
      studentId: randomUUID(),
      instructorId: this.instructorIds[randomInt(this.instructorIds.length)],
      // $30 to $120 in whole dollars, as lessons are priced.
      price: money(randomInt(30, 121) * 100, 'USD'),
      completedBy: 'instructor',
      // Booked to start an hour before it was completed: every event passes the consumer's
      // contract check, and qualifies where the referral rules say it should.
      startsAt: new Date(now.getTime() - 3_600_000).toISOString(),
      completedAt: now.toISOString(),
    };
    const envelope = createEnvelope({
      type: Topics.LessonCompleted,
      version: CurrentEvents[Topics.LessonCompleted].version,
      producer: 'bookings',
      key: bookingId,
      payload,
      occurredAt: now,
    });
    return {
      key: bookingId,
      value: JSON.stringify(envelope),
      // What the outbox relay sets on every message.
      headers: { 'message-id': envelope.id },
    };
  }
}
