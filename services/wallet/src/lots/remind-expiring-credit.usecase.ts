import { Injectable } from '@nestjs/common';
import { Currency, Topics } from '@rewards/contracts';
import { OutboxWriter } from '@rewards/messaging';
import { EntityManager } from 'typeorm';
import { toSafeInteger } from '../ledger/ledger-posting.entity';
import { daysLeft, reminderWindows } from './credit-expiry';

interface ReminderRow {
  id: string;
  owner_id: string;
  currency: Currency;
  remaining_cents: string;
  expires_at: Date;
}

/**
 * Announces credit about to expire with credit-expiring, once per lot and reminder: the reminder
 * row is inserted with the event, so a second run (or replica) finds it and sends nothing.
 */
@Injectable()
export class RemindExpiringCredit {
  constructor(private readonly outbox: OutboxWriter) {}

  /** Sends up to `limit` reminders due at `now`; returns how many. */
  async execute(
    tx: EntityManager,
    now: Date,
    daysBefore: readonly number[],
    limit: number,
  ): Promise<number> {
    let sent = 0;
    for (const window of reminderWindows(now, daysBefore)) {
      const due = await tx.query<ReminderRow[]>(
        `SELECT l.id, l.owner_id, l.currency, l.remaining_cents, l.expires_at
           FROM credit_lots l
          WHERE l.remaining_cents > 0 AND l.expires_at > $1 AND l.expires_at <= $2
            AND NOT EXISTS (SELECT 1 FROM credit_lot_reminders r
                             WHERE r.lot_id = l.id AND r.days_before = $3)
          ORDER BY l.expires_at, l.id LIMIT $4`,
        [window.after, window.until, window.daysBefore, limit - sent],
      );
      for (const lot of due) {
        const inserted = await tx.query<unknown[]>(
          `INSERT INTO credit_lot_reminders (lot_id, days_before, sent_at) VALUES ($1, $2, $3)
           ON CONFLICT DO NOTHING RETURNING lot_id`,
          [lot.id, window.daysBefore, now],
        );
        if (inserted.length === 0) continue;
        await this.outbox.add(
          tx,
          Topics.CreditExpiring,
          lot.owner_id,
          {
            creditId: lot.id,
            ownerId: lot.owner_id,
            amount: { amountCents: toSafeInteger(lot.remaining_cents), currency: lot.currency },
            daysLeft: daysLeft(now, lot.expires_at),
            expiresAt: lot.expires_at.toISOString(),
          },
          { occurredAt: now },
        );
        sent += 1;
      }
      if (sent >= limit) break;
    }
    return sent;
  }
}
