import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Credit-expiring reminders to email: one row per reminder the wallet announced (its message
 * id), sent by a job and marked sent, so each reminder is emailed once.
 */
export class CreateCreditReminderEmails1796120300000 implements MigrationInterface {
  name = 'CreateCreditReminderEmails1796120300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE credit_reminder_emails (
        message_id uuid PRIMARY KEY,
        owner_id uuid NOT NULL,
        credit_id uuid NOT NULL,
        amount_cents bigint NOT NULL CHECK (amount_cents >= 0),
        currency char(3) NOT NULL,
        days_left integer NOT NULL CHECK (days_left >= 0),
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        last_error text,
        sent_at timestamptz,
        UNIQUE (credit_id, days_left)
      );
      CREATE INDEX credit_reminder_emails_unsent ON credit_reminder_emails (created_at)
        WHERE sent_at IS NULL;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE credit_reminder_emails;');
  }
}
