/**
 * The messaging tables every service's migrations create in its own schema. Frozen: a change is a
 * new constant used by a new migration.
 */
export const MESSAGING_TABLES_V1_UP = `
CREATE TABLE outbox_messages (
  seq bigserial PRIMARY KEY,
  id uuid NOT NULL UNIQUE,
  topic text NOT NULL,
  key text NOT NULL,
  envelope jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz
);
CREATE INDEX outbox_messages_unpublished ON outbox_messages (seq) WHERE published_at IS NULL;
CREATE TABLE inbox_messages (
  consumer text NOT NULL,
  message_id uuid NOT NULL,
  topic text NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, message_id)
);
`;

export const MESSAGING_TABLES_V1_DOWN = `
DROP TABLE inbox_messages;
DROP TABLE outbox_messages;
`;

/**
 * V2: the outbox is the durable log a lost broker is refilled from. The relay records the last
 * offset the broker acknowledged per partition (an offset going backwards, or a partition ending
 * before it, means the broker lost messages) and a replay cursor per topic. Dead letters are kept
 * in the consumer's schema, with their reason, until an operator replays them. The inbox is
 * purged by age.
 */
export const MESSAGING_TABLES_V2_UP = `
CREATE INDEX outbox_messages_topic_seq ON outbox_messages (topic, seq);
CREATE INDEX outbox_messages_created ON outbox_messages (created_at);
CREATE TABLE outbox_partition_offsets (
  topic text NOT NULL,
  partition int NOT NULL,
  last_offset bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (topic, partition)
);
CREATE TABLE outbox_broker (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  cluster_id text NOT NULL,
  checked_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE outbox_replays (
  topic text PRIMARY KEY,
  next_seq bigint NOT NULL,
  until_seq bigint NOT NULL,
  reason text NOT NULL,
  -- Bumped when a new loss restarts a replay in progress.
  generation bigint NOT NULL DEFAULT 1,
  requested_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inbox_messages_processed ON inbox_messages (processed_at);
CREATE TABLE dead_letters (
  id uuid PRIMARY KEY,
  consumer text NOT NULL,
  dedupe_key text NOT NULL,
  topic text NOT NULL,
  partition int NOT NULL,
  "offset" bigint NOT NULL,
  message_key text,
  message_id uuid,
  value text NOT NULL,
  headers jsonb NOT NULL,
  reason text NOT NULL,
  attempts int NOT NULL,
  failed_at timestamptz NOT NULL,
  replayed_at timestamptz,
  UNIQUE (consumer, dedupe_key)
);
CREATE INDEX dead_letters_open ON dead_letters (failed_at) WHERE replayed_at IS NULL;
`;

export const MESSAGING_TABLES_V2_DOWN = `
DROP TABLE dead_letters;
DROP INDEX inbox_messages_processed;
DROP TABLE outbox_replays;
DROP TABLE outbox_broker;
DROP TABLE outbox_partition_offsets;
DROP INDEX outbox_messages_created;
DROP INDEX outbox_messages_topic_seq;
`;

/**
 * V3: leader locks as rows in the service's own schema. Postgres advisory locks are
 * database-wide and need no privilege, so any role could hold another service's; a row lock
 * needs the schema's grants, which only the service's own roles have.
 */
export const MESSAGING_TABLES_V3_UP = `
CREATE TABLE schema_locks (
  name text PRIMARY KEY
);
`;

export const MESSAGING_TABLES_V3_DOWN = `
DROP TABLE schema_locks;
`;
