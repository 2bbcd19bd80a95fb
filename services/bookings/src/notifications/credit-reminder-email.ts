import { EmailMessage } from './email-sender';

export interface CreditReminder {
  to: string;
  displayName: string;
  amountCents: number;
  currency: string;
  daysLeft: number;
  expiresAt: Date;
}

/** The reminder as the student reads it. */
export function creditReminderEmail(r: CreditReminder): EmailMessage {
  const amount = `${(r.amountCents / 100).toFixed(2)} ${r.currency.trim()}`;
  const day = r.expiresAt.toISOString().slice(0, 10);
  const when = r.daysLeft === 1 ? 'tomorrow' : `in ${r.daysLeft} days`;
  return {
    to: r.to,
    subject: `Your ${amount} lesson credit expires ${when}`,
    text:
      `Hi ${r.displayName},\n\n` +
      `${amount} of your lesson credit expires ${when}, on ${day} (UTC).\n` +
      'It is applied automatically when you book a lesson before then.\n',
  };
}
