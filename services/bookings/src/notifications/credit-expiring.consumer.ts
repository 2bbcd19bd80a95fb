import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { CreditExpiringV1, EventEnvelope, Topics } from '@rewards/contracts';
import { InboxContext } from '@rewards/messaging';
import { Clock } from '@rewards/service-kit';

/**
 * Bookings owns users' email addresses, so it emails the wallet's credit-expiring reminders:
 * each is queued here, in the inbox transaction, and sent by CreditReminderEmailsJob.
 */
@Controller()
export class CreditExpiringConsumer {
  constructor(private readonly clock: Clock) {}

  @EventPattern(Topics.CreditExpiring)
  async expiring(
    @Payload() event: EventEnvelope<CreditExpiringV1>,
    @Ctx() { tx }: InboxContext,
  ): Promise<void> {
    const r = event.payload;
    await tx.query(
      `INSERT INTO credit_reminder_emails (message_id, owner_id, credit_id, amount_cents, currency,
         days_left, expires_at, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT DO NOTHING`,
      [
        event.id,
        r.ownerId,
        r.creditId,
        r.amount.amountCents,
        r.amount.currency,
        r.daysLeft,
        new Date(r.expiresAt),
        this.clock.now(),
      ],
    );
  }
}
