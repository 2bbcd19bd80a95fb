import { randomUUID } from 'node:crypto';
import { createEnvelope, EventEnvelope, LessonCompletedV1, Topics } from '@rewards/contracts';
import { testAdminUrl } from '@rewards/testing';
import { DataSource } from 'typeorm';
import { MESSAGING_TABLES_V1_UP, MESSAGING_TABLES_V2_UP, MESSAGING_TABLES_V3_UP } from '../src';

/** A scratch schema with the messaging tables, and a table handlers write what they applied to. */
export async function scratchSchema(): Promise<{ dataSource: DataSource; schema: string }> {
  const schema = `msg_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const dataSource = new DataSource({
    type: 'postgres',
    url: testAdminUrl(),
    schema,
    poolSize: 8,
    extra: { options: `-c search_path=${schema}` },
  });
  await dataSource.initialize();
  await dataSource.query(`CREATE SCHEMA ${schema}`);
  await dataSource.query(MESSAGING_TABLES_V1_UP);
  await dataSource.query(MESSAGING_TABLES_V2_UP);
  await dataSource.query(MESSAGING_TABLES_V3_UP);
  await dataSource.query(
    'CREATE TABLE applied (seq bigserial PRIMARY KEY, message_id uuid NOT NULL, booking_id uuid NOT NULL)',
  );
  return { dataSource, schema };
}

export async function dropScratch(dataSource: DataSource, schema: string): Promise<void> {
  await dataSource.query(`DROP SCHEMA ${schema} CASCADE`);
  await dataSource.destroy();
}

/** A valid lesson-completed envelope for one key (so every one lands on the same partition). */
export function lessonCompleted(
  key: string,
  bookingId = randomUUID(),
): EventEnvelope<LessonCompletedV1> {
  return createEnvelope({
    type: Topics.LessonCompleted,
    version: 1,
    producer: 'test',
    key,
    payload: {
      bookingId,
      studentId: randomUUID(),
      instructorId: key,
      price: { amountCents: 8000, currency: 'USD' },
      completedBy: 'instructor',
      completedAt: new Date().toISOString(),
    },
    occurredAt: new Date(),
  });
}
