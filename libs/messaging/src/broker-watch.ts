import { EntityManager } from 'typeorm';
import { MessageBus, PartitionOffsets, SendAck } from './message-bus';

export type BrokerLossLog = (message: string, extra: Record<string, unknown>) => void;

interface OffsetRow {
  topic: string;
  partition: number;
  last_offset: string;
}

/**
 * Notices a broker that lost messages this service published: an embedded broker restarted
 * empty, a cluster replaced, a partition truncated. Kafka offsets only grow, so the relay records
 * the last offset the broker acknowledged per partition; a partition that now ends at or before
 * it, an acknowledgement that goes backwards, or another cluster id means loss. The topic's
 * retained outbox rows are then scheduled for replay (outbox_replays), in sequence order.
 */
export class BrokerWatch {
  constructor(
    private readonly bus: MessageBus,
    private readonly log: BrokerLossLog,
    /** Consumer groups per topic, to notice one that fell behind what the broker keeps. */
    private readonly consumers: Readonly<Partial<Record<string, readonly string[]>>> = {},
  ) {}

  async check(tx: EntityManager): Promise<void> {
    const clusterId = await this.bus.clusterId();
    const [known] = await tx.query<Array<{ cluster_id: string }>>(
      'SELECT cluster_id FROM outbox_broker',
    );
    if (known && known.cluster_id !== clusterId) {
      const topics = await tx.query<Array<{ topic: string }>>(
        'SELECT DISTINCT topic FROM outbox_messages WHERE published_at IS NOT NULL',
      );
      for (const { topic } of topics) {
        await this.scheduleReplay(
          tx,
          topic,
          `cluster changed: ${known.cluster_id} -> ${clusterId}`,
        );
      }
    }
    await tx.query(
      `INSERT INTO outbox_broker (cluster_id, checked_at) VALUES ($1, now())
       ON CONFLICT (singleton) DO UPDATE SET cluster_id = $1, checked_at = now()`,
      [clusterId],
    );
    const recorded = await tx.query<OffsetRow[]>(
      'SELECT topic, partition, last_offset FROM outbox_partition_offsets ORDER BY topic, partition',
    );
    for (const topic of new Set(recorded.map((r) => r.topic))) {
      const offsets = await this.bus.topicOffsets(topic);
      const ends = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
      const lost = recorded.find(
        (r) => r.topic === topic && (ends.get(r.partition) ?? 0n) <= BigInt(r.last_offset),
      );
      if (lost) {
        const end = ends.get(lost.partition) ?? 0n;
        await this.scheduleReplay(
          tx,
          topic,
          `partition ${lost.partition} ends at ${end}, offset ${lost.last_offset} was acknowledged`,
        );
        continue;
      }
      // A replay in progress already brings the skipped events back; do not restart it.
      const [pending] = await tx.query<unknown[]>('SELECT 1 FROM outbox_replays WHERE topic = $1', [
        topic,
      ]);
      const skipped = pending ? undefined : await this.consumerBehindRetention(topic, offsets);
      if (skipped) await this.scheduleReplay(tx, topic, skipped);
    }
  }

  /**
   * A consumer group whose position is below the oldest offset the broker keeps skipped what
   * retention deleted (the embedded broker keeps only a few MiB per partition). The replay gives
   * it those events again; other groups' inboxes drop the copies.
   */
  private async consumerBehindRetention(
    topic: string,
    offsets: PartitionOffsets[],
  ): Promise<string | undefined> {
    const starts = new Map(offsets.map((o) => [o.partition, BigInt(o.low)]));
    for (const group of this.consumers[topic] ?? []) {
      for (const committed of await this.bus.committedOffsets(group, topic)) {
        const position = BigInt(committed.offset);
        const start = starts.get(committed.partition) ?? 0n;
        if (position >= 0n && position < start) {
          return `group ${group} is at offset ${position} of partition ${committed.partition}, which now starts at ${start}`;
        }
      }
    }
    return undefined;
  }

  /** Records what the broker acknowledged; an offset going backwards means it lost messages. */
  async recordAcks(tx: EntityManager, acks: SendAck[]): Promise<void> {
    const valid = acks.filter((ack) => BigInt(ack.baseOffset) >= 0n);
    if (valid.length === 0) return;
    // Each partition's previous offset read and the new one written in one statement (the
    // read sees the offsets as they were before it).
    const lost = await tx.query<Array<OffsetRow & SendAck>>(
      `WITH acks AS (
         SELECT DISTINCT ON (topic, partition) *
           FROM unnest($1::text[], $2::int[], $3::bigint[]) AS a(topic, partition, base_offset)
          ORDER BY topic, partition, base_offset DESC
       ), previous AS (
         SELECT a.topic, a.partition, a.base_offset, o.last_offset
           FROM acks a JOIN outbox_partition_offsets o USING (topic, partition)
       ), recorded AS (
         INSERT INTO outbox_partition_offsets (topic, partition, last_offset, updated_at)
         SELECT topic, partition, base_offset, now() FROM acks
         ON CONFLICT (topic, partition) DO UPDATE SET last_offset = EXCLUDED.last_offset,
           updated_at = now()
       )
       SELECT topic, partition, base_offset::text AS "baseOffset", last_offset::text
         FROM previous WHERE base_offset <= last_offset`,
      [valid.map((a) => a.topic), valid.map((a) => a.partition), valid.map((a) => a.baseOffset)],
    );
    const topics = new Map(lost.map((l) => [l.topic, l]));
    for (const [topic, l] of topics) {
      await this.scheduleReplay(
        tx,
        topic,
        `partition ${l.partition} acknowledged offset ${l.baseOffset} after ${l.last_offset}`,
      );
      // The replay forgot the topic's offsets: the ones just acknowledged are its new start.
      for (const ack of valid.filter((a) => a.topic === topic)) {
        await tx.query(
          `INSERT INTO outbox_partition_offsets (topic, partition, last_offset, updated_at)
           VALUES ($1, $2, $3, now())
           ON CONFLICT (topic, partition) DO UPDATE SET last_offset = $3, updated_at = now()`,
          [ack.topic, ack.partition, ack.baseOffset],
        );
      }
    }
  }

  private async scheduleReplay(tx: EntityManager, topic: string, reason: string): Promise<void> {
    const scheduled = await tx.query<Array<{ next_seq: string; until_seq: string }>>(
      `INSERT INTO outbox_replays (topic, next_seq, until_seq, reason)
       SELECT $1, min(seq), max(seq), $2 FROM outbox_messages
       WHERE topic = $1 AND published_at IS NOT NULL HAVING count(*) > 0
       ON CONFLICT (topic) DO UPDATE SET next_seq = EXCLUDED.next_seq,
         until_seq = EXCLUDED.until_seq, reason = EXCLUDED.reason, requested_at = now(),
         generation = outbox_replays.generation + 1
       RETURNING next_seq, until_seq`,
      [topic, reason],
    );
    // The new broker numbers from scratch: forget the old offsets so they are not compared.
    await tx.query('DELETE FROM outbox_partition_offsets WHERE topic = $1', [topic]);
    this.log('broker lost published messages: replaying the outbox', {
      topic,
      reason,
      fromSeq: scheduled[0]?.next_seq,
      untilSeq: scheduled[0]?.until_seq,
    });
  }
}
