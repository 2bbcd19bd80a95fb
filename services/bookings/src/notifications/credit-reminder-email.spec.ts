import { creditReminderEmail } from './credit-reminder-email';

describe(creditReminderEmail.name, () => {
  it('says how much expires, when, and that booking uses it', () => {
    const mail = creditReminderEmail({
      to: 'sam@example.test',
      displayName: 'Sam',
      amountCents: 2000,
      currency: 'USD',
      daysLeft: 14,
      expiresAt: new Date('2027-06-01T10:00:00Z'),
    });
    expect(mail.subject).toBe('Your $20.00 lesson credit expires in 14 days');
    expect(mail.text).toContain(
      '$20.00 of your lesson credit expires in 14 days, on June 1, 2027 (UTC).',
    );
  });

  it('says "tomorrow" on the last day, and writes other currencies as students read them', () => {
    const mail = creditReminderEmail({
      to: 'sam@example.test',
      displayName: 'Sam',
      amountCents: 123456,
      currency: 'EUR',
      daysLeft: 1,
      expiresAt: new Date('2027-12-31T23:30:00Z'),
    });
    expect(mail.subject).toBe('Your €1,234.56 lesson credit expires tomorrow');
    expect(mail.text).toContain('on December 31, 2027 (UTC)');
  });
});
