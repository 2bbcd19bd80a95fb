import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '@rewards/service-kit';
import { eventually, ReceivedMail, SmtpSink } from '@rewards/testing';
import { CreditReminderEmailsJob } from '../services/bookings/src/notifications/credit-reminder-emails.job';
import { displayDay } from '../services/bookings/src/notifications/credit-reminder-email';
import { CreditExpiryJob } from '../services/wallet/src/lots/credit-expiry.job';
import { PlatformUnderTest, startPlatform } from './support/platform-under-test';
import { StudentJourney, TestUser } from './support/student-journey';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** The text of a mail as the student reads it: headers and body, quoted-printable lines joined. */
const readable = (mail: ReceivedMail): string => mail.raw.replace(/=\r?\n/g, '');
const subjectOf = (mail: ReceivedMail): string => /^Subject: (.*)$/m.exec(mail.raw)?.[1] ?? '';

/**
 * A student's $20 referral credit through its whole life, through the gateway, with every
 * service on one moved clock: unlocked, reminded 14 and 3 days before it expires (each email
 * once, whatever replicas run the jobs), then expired: gone from the balance, explained in the
 * history.
 */
describe('credit expiry and its reminder emails through the gateway', () => {
  // A start of its own, so other suites' credit (on the shared database) expires on other days.
  const clock = new ManualClock(new Date('2027-02-11T09:00:00Z'));
  const smtp = new SmtpSink();
  const smsFile = join(tmpdir(), `sms-${randomUUID()}.jsonl`);
  let platform: PlatformUnderTest;
  let j: StudentJourney;

  beforeAll(async () => {
    await smtp.start();
    platform = await startPlatform({
      clock,
      bookingsEnv: {
        SMTP_URL: smtp.url,
        SMS_LOG_FILE: smsFile,
        VERIFICATION_RESEND_COOLDOWN_MS: '0',
        // Bookings emails queued reminders on its own schedule, as in production.
        SMTP_SEND_INTERVAL_MS: '200',
      },
      referralsEnv: { CLICK_FLUSH_INTERVAL_MS: '100', REWARD_UNLOCK_INTERVAL_MS: '3600000' },
      // The wallet's expiry job runs when the test has moved the clock (runOnce).
      walletEnv: { CREDIT_EXPIRY_INTERVAL_MS: '3600000' },
      gatewayEnv: { TRUST_FORWARDED_FOR: 'true' },
    });
    j = new StudentJourney(platform, clock, smtp, smsFile);
  });

  afterAll(async () => {
    await platform?.close();
    await smtp.stop();
  });

  /**
   * Two replicas of the wallet at the same moment, then one more run: each must be a no-op past
   * the first. The counts cover every wallet of the shared test database (other suites leave
   * credit too), so this student's own emails and entries are what the test asserts exactly.
   */
  const expiryTicks = async () => {
    const job = platform.wallet().app.get(CreditExpiryJob);
    const [a, b] = await Promise.all([job.runOnce(), job.runOnce()]);
    const c = await job.runOnce();
    return {
      expired: a.expired + b.expired + c.expired,
      reminded: a.reminded + b.reminded + c.reminded,
    };
  };

  /** Bookings' email job on two replicas at once, besides its own schedule. */
  const emailTicks = async () => {
    const job = platform.bookings().app.get(CreditReminderEmailsJob);
    await Promise.all([job.runOnce(), job.runOnce()]);
  };

  const remindersTo = (user: TestUser) =>
    smtp.to(`${user.id}@example.test`).filter((m) => /lesson credit expires/.test(subjectOf(m)));

  /** Lets every schedule tick a few times, so a duplicate would have had its chance to arrive. */
  const quietPeriod = () => new Promise((resolve) => setTimeout(resolve, 1500));

  it('reminds 14 and 3 days before, once each, then expires the credit', async () => {
    const instructor = await j.liveInstructor();
    const referrer = await j.student();
    const code = await j.codeOf(referrer);
    const friend = await j.student(code);
    await j.codeOf(friend);
    await j.verify(friend);
    await j.lesson(friend, instructor, 8000);
    await j.rewardIn(referrer, 'held');
    await j.afterDays(7.01);
    const unlockedAt = clock.now();
    await eventually(
      async () => expect(await j.wallet(referrer)).toMatchObject({ available: 2000 }),
      { timeoutMs: 60_000 },
    );
    // 6 months after the unlock (the program's default credit lifetime).
    const expiresAt = new Date(unlockedAt);
    expiresAt.setUTCMonth(expiresAt.getUTCMonth() + 6);
    const day = displayDay(expiresAt);

    clock.set(new Date(expiresAt.getTime() - 14 * DAY_MS - HOUR_MS));
    await expiryTicks();
    const early = await j.gw().get('/wallet/me').set(referrer.auth).expect(200);
    expect(early.body.balances[0]).toMatchObject({ availableCents: 2000, expiringSoon: [] });

    await emailTicks();
    expect(remindersTo(referrer)).toEqual([]);

    clock.set(new Date(expiresAt.getTime() - 14 * DAY_MS + HOUR_MS));
    expect((await expiryTicks()).reminded).toBeGreaterThanOrEqual(1);
    const soon = await j.gw().get('/wallet/me').set(referrer.auth).expect(200);
    expect(soon.body.balances[0].expiringSoon).toEqual([
      expect.objectContaining({ amountCents: 2000, expiresAt: expiresAt.toISOString() }),
    ]);
    const first = await eventually(() => {
      const mails = remindersTo(referrer);
      expect(mails).toHaveLength(1);
      return mails[0];
    });
    await emailTicks();
    await quietPeriod();
    expect(remindersTo(referrer)).toHaveLength(1);
    expect(subjectOf(first)).toBe('Your $20.00 lesson credit expires in 14 days');
    expect(readable(first)).toContain(
      `$20.00 of your lesson credit expires in 14 days, on ${day} (UTC).`,
    );

    clock.set(new Date(expiresAt.getTime() - 3 * DAY_MS + HOUR_MS));
    expect((await expiryTicks()).reminded).toBeGreaterThanOrEqual(1);
    const second = await eventually(() => {
      const mails = remindersTo(referrer);
      expect(mails).toHaveLength(2);
      return mails[1];
    });
    await emailTicks();
    await quietPeriod();
    expect(remindersTo(referrer)).toHaveLength(2);
    expect(subjectOf(second)).toBe('Your $20.00 lesson credit expires in 3 days');
    expect(readable(second)).toContain(
      `$20.00 of your lesson credit expires in 3 days, on ${day} (UTC).`,
    );

    clock.set(new Date(expiresAt.getTime() + 60_000));
    expect((await expiryTicks()).expired).toBeGreaterThanOrEqual(1);
    await eventually(async () => {
      const balance = await j.gw().get('/wallet/me').set(referrer.auth).expect(200);
      expect(balance.body.balances[0]).toMatchObject({ availableCents: 0, expiringSoon: [] });
    });
    const history = await j.gw().get('/wallet/me/history').set(referrer.auth).expect(200);
    const entries = history.body.entries as Array<Record<string, unknown>>;
    expect(entries[0]).toMatchObject({
      kind: 'credit_expiry',
      reason: 'Credit expired unspent',
      account: 'credit',
      amount: { amountCents: -2000, currency: 'USD' },
      occurredAt: expiresAt.toISOString(),
    });
    expect(entries).toContainEqual(
      expect.objectContaining({
        kind: 'reward_credit',
        amount: { amountCents: 2000, currency: 'USD' },
      }),
    );
    // Nothing left to remind of: no third email, and a later run expires nothing more.
    await expiryTicks();
    await emailTicks();
    await quietPeriod();
    expect(remindersTo(referrer)).toHaveLength(2);
    const again = await j.gw().get('/wallet/me/history').set(referrer.auth).expect(200);
    const expiries = (again.body.entries as Array<{ kind: string }>).filter(
      (e) => e.kind === 'credit_expiry',
    );
    expect(expiries).toHaveLength(1);
  });
});
