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
    expect(mail.subject).toBe('Your 20.00 USD lesson credit expires in 14 days');
    expect(mail.text).toContain('on 2027-06-01 (UTC)');
  });
});
