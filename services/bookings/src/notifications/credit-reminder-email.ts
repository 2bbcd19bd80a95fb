import { EmailMessage } from './email-sender';

export interface CreditReminder {
  to: string;
  displayName: string;
  amountCents: number;
  currency: string;
  daysLeft: number;
  expiresAt: Date;
}

/** An amount as a student reads it: `$20.00` (the code after the number for a currency without a symbol). */
function displayAmount(amountCents: number, currency: string): string {
  const code = currency.trim().toUpperCase();
  try {
    return new Intl.NumberFormat('en-US', { style: 'currency', currency: code }).format(
      amountCents / 100,
    );
  } catch {
    return `${(amountCents / 100).toFixed(2)} ${code}`;
  }
}

/** The day as a student reads it: `June 1, 2027`. Dates are kept and shown in UTC. */
export function displayDay(at: Date): string {
  return at.toLocaleDateString('en-US', {
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    timeZone: 'UTC',
  });
}

/** The reminder as the student reads it. */
export function creditReminderEmail(r: CreditReminder): EmailMessage {
  const amount = displayAmount(r.amountCents, r.currency);
  const day = displayDay(r.expiresAt);
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
