import { randomUUID } from 'node:crypto';
import { deadLetterTopic } from '@rewards/contracts';
import { DataSource } from 'typeorm';
import { IncomingMessage, MessageBus } from './message-bus';

export interface DeadLetter {
  id: string;
  consumer: string;
  topic: string;
  partition: number;
  offset: string;
  messageKey: string | null;
  messageId: string | null;
  value: string;
  headers: Record<string, string>;
  reason: string;
  attempts: number;
  failedAt: Date;
  replayedAt: Date | null;
}

interface DeadLetterRow {
  id: string;
  consumer: string;
  topic: string;
  partition: number;
  offset: string;
  message_key: string | null;
  message_id: string | null;
  value: string;
  headers: Record<string, string>;
  reason: string;
  attempts: number;
  failed_at: Date;
  replayed_at: Date | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function messageIdOf(message: IncomingMessage): string | null {
  const fromHeader = message.headers['message-id'];
  if (fromHeader && UUID.test(fromHeader)) return fromHeader;
  try {
    const id = (JSON.parse(message.value?.toString() ?? '') as { id?: unknown }).id;
    return typeof id === 'string' && UUID.test(id) ? id : null;
  } catch {
    return null;
  }
}

const toDeadLetter = (r: DeadLetterRow): DeadLetter => ({
  id: r.id,
  consumer: r.consumer,
  topic: r.topic,
  partition: r.partition,
  offset: String(r.offset),
  messageKey: r.message_key,
  messageId: r.message_id,
  value: r.value,
  headers: r.headers,
  reason: r.reason,
  attempts: r.attempts,
  failedAt: r.failed_at,
  replayedAt: r.replayed_at,
});

/**
 * Dead letters of one consumer: kept in its own schema (the broker may forget, the database does
 * not) and also sent to `<topic>.dlq` for Kafka tooling. An operator lists them and replays the
 * chosen ones to their topic once the cause is fixed; the inbox still applies each only once.
 */
export class DeadLetters {
  constructor(
    private readonly dataSource: DataSource,
    private readonly bus: MessageBus,
    private readonly consumer: string,
    private readonly now: () => Date = () => new Date(),
    private readonly onDeadLettered: (topic: string) => void = () => undefined,
  ) {}

  async record(message: IncomingMessage, reason: string, attempts: number): Promise<void> {
    const messageId = messageIdOf(message);
    const value = message.value?.toString() ?? '';
    const failedAt = this.now();
    // One row per message: a replayed message that fails again updates its row.
    const dedupeKey = messageId ?? `${message.topic}/${message.partition}/${message.offset}`;
    await this.dataSource.query(
      `INSERT INTO dead_letters (id, consumer, dedupe_key, topic, partition, "offset", message_key,
         message_id, value, headers, reason, attempts, failed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
       ON CONFLICT (consumer, dedupe_key) DO UPDATE SET partition = EXCLUDED.partition,
         "offset" = EXCLUDED."offset", reason = EXCLUDED.reason, attempts = EXCLUDED.attempts,
         failed_at = EXCLUDED.failed_at, replayed_at = NULL`,
      [
        randomUUID(),
        this.consumer,
        dedupeKey,
        message.topic,
        message.partition,
        message.offset,
        message.key,
        messageId,
        value,
        JSON.stringify(message.headers),
        reason.slice(0, 2000),
        attempts,
        failedAt,
      ],
    );
    await this.bus.send([
      {
        topic: deadLetterTopic(message.topic),
        key: message.key ?? '',
        value,
        headers: {
          ...message.headers,
          'dlq-reason': reason.slice(0, 1000),
          'dlq-original-topic': message.topic,
          'dlq-original-partition': String(message.partition),
          'dlq-original-offset': message.offset,
          'dlq-consumer-group': this.consumer,
          'dlq-failed-at': failedAt.toISOString(),
        },
      },
    ]);
    this.onDeadLettered(message.topic);
  }

  async list(options: { includeReplayed?: boolean; limit?: number } = {}): Promise<DeadLetter[]> {
    const rows = await this.dataSource.query<DeadLetterRow[]>(
      `SELECT * FROM dead_letters WHERE consumer = $1 AND ($2 OR replayed_at IS NULL)
       ORDER BY failed_at, id LIMIT $3`,
      [this.consumer, options.includeReplayed ?? false, options.limit ?? 1000],
    );
    return rows.map(toDeadLetter);
  }

  /**
   * Re-publishes dead letters to their original topic, in the order they failed. Returns the ids
   * replayed; unknown or already replayed ids are skipped.
   */
  async replay(ids: string[]): Promise<string[]> {
    const rows = await this.dataSource.query<DeadLetterRow[]>(
      `SELECT * FROM dead_letters WHERE consumer = $1 AND id = ANY($2::uuid[])
         AND replayed_at IS NULL ORDER BY failed_at, id`,
      [this.consumer, ids.filter((id) => UUID.test(id))],
    );
    if (rows.length === 0) return [];
    await this.bus.send(
      rows.map((r) => ({
        topic: r.topic,
        key: r.message_key ?? '',
        value: r.value,
        headers: { ...r.headers, 'dlq-replayed-from': r.id },
      })),
    );
    await this.dataSource.query(
      'UPDATE dead_letters SET replayed_at = $2 WHERE id = ANY($1::uuid[])',
      [rows.map((r) => r.id), this.now()],
    );
    return rows.map((r) => r.id);
  }
}
