/**
 * The outbox and inbox tables every service's first migration creates in its own schema.
 * Frozen: a change to these tables is a new constant used by a new migration.
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
