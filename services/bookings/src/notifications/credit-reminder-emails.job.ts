import { Inject, Injectable } from '@nestjs/common';
import { Clock, JobScheduler } from '@rewards/service-kit';
import { DataSource, EntityManager } from 'typeorm';
import { BookingsConfig } from '../config/bookings.config';
import { creditReminderEmail } from './credit-reminder-email';
import { EmailSender } from './email-sender';

const PER_TICK = 50;

interface DueRow {
  message_id: string;
  email: string | null;
  display_name: string | null;
  amount_cents: string;
  currency: string;
  days_left: number;
  expires_at: Date;
}

/**
 * Every SMTP_SEND_INTERVAL_MS: emails queued reminders, each in a transaction that holds its row
 * (SKIP LOCKED, so replicas share the work) and marks it sent once the server accepted it. A
 * crash between the server's acceptance and the commit would send that one again (at least once:
 * SMTP has no idempotency key). A failed send is retried on the next tick.
 */
@Injectable()
export class CreditReminderEmailsJob {
  constructor(
    private readonly dataSource: DataSource,
    private readonly mail: EmailSender,
    private readonly clock: Clock,
    @Inject(BookingsConfig) config: BookingsConfig,
    scheduler: JobScheduler,
  ) {
    // Every replica sends: each reminder row is held by one of them (SKIP LOCKED).
    scheduler.every({
      name: 'bookings:credit-reminder-emails',
      intervalMs: config.SMTP_SEND_INTERVAL_MS,
      run: () => this.runOnce(),
      report: (sent) => (sent > 0 ? { sent } : undefined),
    });
  }

  /** Sends what is due now; returns how many went out. */
  async runOnce(): Promise<number> {
    let sent = 0;
    let failures = 0;
    // Each reminder is tried at most once per tick.
    const tried: string[] = [];
    for (let i = 0; i < PER_TICK; i++) {
      const outcome = await this.dataSource.transaction(async (tx) => {
        const [row] = await tx.query<DueRow[]>(
          `SELECT r.message_id, a.email, a.display_name, r.amount_cents, r.currency, r.days_left,
                  r.expires_at
             FROM credit_reminder_emails r LEFT JOIN accounts a ON a.id = r.owner_id
            WHERE r.sent_at IS NULL AND r.expires_at > $1 AND r.message_id <> ALL($2::uuid[])
            ORDER BY r.attempts, r.created_at LIMIT 1
            FOR UPDATE OF r SKIP LOCKED`,
          [this.clock.now(), tried],
        );
        if (!row) return 'none';
        tried.push(row.message_id);
        if (row.email === null) {
          // No account (yet) for the owner: nobody to write to; kept, and tried again later.
          await this.failed(tx, row.message_id, 'no account with an email for this owner');
          return 'failed';
        }
        try {
          await this.mail.send(
            creditReminderEmail({
              to: row.email,
              displayName: row.display_name ?? '',
              amountCents: Number(row.amount_cents),
              currency: row.currency,
              daysLeft: row.days_left,
              expiresAt: row.expires_at,
            }),
          );
        } catch (err) {
          await this.failed(tx, row.message_id, String(err));
          return 'failed';
        }
        await tx.query(
          `UPDATE credit_reminder_emails SET sent_at = $2, attempts = attempts + 1
            WHERE message_id = $1`,
          [row.message_id, this.clock.now()],
        );
        return 'sent';
      });
      if (outcome === 'none') break;
      // Fewer tries first, so one reminder that keeps failing never holds up the others; a few
      // failures end the tick (the server is likely down for the rest too).
      if (outcome === 'failed') {
        if (++failures >= 3) break;
        continue;
      }
      sent += 1;
    }
    return sent;
  }

  private async failed(tx: EntityManager, messageId: string, error: string): Promise<void> {
    await tx.query(
      `UPDATE credit_reminder_emails SET attempts = attempts + 1, last_error = $2
        WHERE message_id = $1`,
      [messageId, error.slice(0, 500)],
    );
  }
}
