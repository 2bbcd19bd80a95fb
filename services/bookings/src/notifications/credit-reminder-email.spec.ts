import { creditReminderEmail } from './credit-reminder-email';
import { smtpData } from './smtp-mail-sender';

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

describe(smtpData.name, () => {
  it('ends lines with CRLF, doubles a leading dot and ends with a lone dot', () => {
    const data = smtpData(
      'rewards@example.test',
      { to: 'a@example.test', subject: 'Hi', text: 'one\n.two' },
      new Date('2027-01-01T00:00:00Z'),
    );
    expect(data).toContain('\r\n\r\none\r\n..two\r\n.\r\n');
    expect(data.startsWith('From: rewards@example.test\r\nTo: a@example.test\r\n')).toBe(true);
  });

  it('refuses a header that would span lines', () => {
    expect(() =>
      smtpData(
        'r@example.test',
        { to: 'a@example.test', subject: 'x\r\nBcc: b', text: '' },
        new Date(),
      ),
    ).toThrow('subject must be a single line');
  });
});
