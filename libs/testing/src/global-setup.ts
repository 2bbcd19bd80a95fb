import { randomBytes } from 'node:crypto';
import { allTopicsWithDeadLetters } from '../../contracts/src/topics';
import { startKafkaMock, startPostgres } from '../../../tools/local/infra';
import { provisionDatabase } from '../../../tools/local/provision-database';
import { provisionTopics } from '../../../tools/local/provision-topics';
import { DATA_SERVICES, TEST_ENV_KEYS } from './test-infra';

interface Stoppable {
  stop(): Promise<void>;
}

declare global {
  var __TEST_INFRA__: Stoppable[] | undefined;
}

/**
 * Starts Postgres and the Kafka mock cluster once per test run, unless DATABASE_URL (an admin
 * connection) or KAFKA_BROKERS point at real ones, then provisions roles, schemas and topics.
 */
export default async function globalSetup(): Promise<void> {
  process.env.TZ = 'UTC';
  const started: Stoppable[] = [];
  globalThis.__TEST_INFRA__ = started;
  const topics = allTopicsWithDeadLetters();
  const partitions = Number(process.env.KAFKA_TOPIC_PARTITIONS ?? 3);

  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const pg = await startPostgres();
    started.push(pg);
    adminUrl = pg.adminUrl;
  }
  let brokers = process.env.KAFKA_BROKERS;
  if (!brokers) {
    const kafka = await startKafkaMock({ topics, partitions });
    started.push(kafka);
    brokers = kafka.brokers;
  } else {
    const replication = Number(process.env.KAFKA_TOPIC_REPLICATION_FACTOR ?? 1);
    await provisionTopics(brokers.split(','), topics, partitions, replication);
  }
  const urls = await provisionDatabase(
    adminUrl,
    [...DATA_SERVICES],
    (s, kind) => `test-${s}-${kind}-secret`,
  );
  process.env[TEST_ENV_KEYS.adminUrl] = adminUrl;
  process.env[TEST_ENV_KEYS.internalAuthKey] = randomBytes(36).toString('base64url');
  process.env[TEST_ENV_KEYS.brokers] = brokers;
  for (const service of DATA_SERVICES) {
    process.env[TEST_ENV_KEYS.serviceUrl(service)] = urls[service].runtime;
    process.env[TEST_ENV_KEYS.ownerUrl(service)] = urls[service].owner;
  }
}
