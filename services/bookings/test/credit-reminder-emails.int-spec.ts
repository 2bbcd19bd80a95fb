import { randomUUID } from 'node:crypto';
import { createEnvelope, Topics } from '@rewards/contracts';
import { loadConfig } from '@rewards/service-kit';
import {
  callerHeaders,
  eventually,
  KafkaProbe,
  migrate,
  RunningServiceApp,
  serviceTestEnv,
  startServiceApp,
} from '@rewards/testing';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AppModule } from '../src/app.module';
import { mapBookingsError } from '../src/bookings-error';
import { BookingsConfig } from '../src/config/bookings.config';
import { bookingsDataSource } from '../src/db/data-source';
import { CreditReminderEmailsJob } from '../src/notifications/credit-reminder-emails.job';
import { SmtpCatcher } from './smtp-catcher';

/** Credit-expiring reminders become emails over SMTP, each once, to the owner's address. */
describe(CreditReminderEmailsJob.name, () => {
  const smtp = new SmtpCatcher();
  let service: RunningServiceApp;
  let probe: KafkaProbe;

  beforeAll(async () => {
    const port = await smtp.start();
    const config = loadConfig(
      BookingsConfig,
      serviceTestEnv('bookings', {
        CHECKOUT_QUOTE_SECRET: 'bookings-test-quote-secret-with-32-characters',
        STRIPE_SECRET_KEY: 'sk_test_bookings',
        SMTP_URL: `smtp://127.0.0.1:${port}`,
        EMAIL_FROM: 'rewards@example.test',
        // The test sends when it says so (runOnce).
        SMTP_SEND_INTERVAL_MS: String(3_600_000),
      }),
    );
    await migrate(bookingsDataSource(config.DATABASE_URL));
    service = await startServiceApp(AppModule.forRoot(config), mapBookingsError);
    probe = new KafkaProbe();
  });

  afterAll(async () => {
    await probe?.close();
    await service?.close();
    await smtp.stop();
  });

  const reminder = (ownerId: string, creditId: string, daysLeft: number) =>
    createEnvelope({
      type: Topics.CreditExpiring,
      version: 1,
      producer: 'wallet',
      key: ownerId,
      occurredAt: new Date(),
      payload: {
        creditId,
        ownerId,
        amount: { amountCents: 2000, currency: 'USD' },
        daysLeft,
        expiresAt: new Date(Date.now() + daysLeft * 86_400_000).toISOString(),
      },
    });

  it('emails the 14- and 3-day reminders once each, even when a message is delivered twice', async () => {
    const [student, creditId] = [randomUUID(), randomUUID()];
    const email = `${student}@example.test`;
    await request(service.url)
      .post('/accounts')
      .set(callerHeaders('bookings', student, 'student'))
      .send({ role: 'student', email, displayName: 'Sam' })
      .expect(201);
    const first = reminder(student, creditId, 14);
    const second = reminder(student, creditId, 3);
    for (const e of [first, first, second]) {
      await probe.produce(e.type, e.key, JSON.stringify(e));
    }
    const ds = service.app.get(DataSource);
    await eventually(
      async () => {
        const rows = await ds.query('SELECT 1 FROM credit_reminder_emails WHERE owner_id = $1', [
          student,
        ]);
        expect(rows).toHaveLength(2);
      },
      { timeoutMs: 60_000 },
    );
    const job = service.app.get(CreditReminderEmailsJob);
    await job.runOnce();
    await job.runOnce();
    const mine = smtp.mails.filter((m) => m.to.includes(email));
    expect(mine).toHaveLength(2);
    expect(mine.map((m) => /Subject: (.*)/.exec(m.data)?.[1]).sort()).toEqual([
      'Your $20.00 lesson credit expires in 14 days',
      'Your $20.00 lesson credit expires in 3 days',
    ]);
    expect(mine[0].from).toBe('rewards@example.test');
  });

  it('keeps a reminder it could not send, with the reason, for the next tick', async () => {
    const [student, creditId] = [randomUUID(), randomUUID()];
    const email = `${student}@example.test`;
    await request(service.url)
      .post('/accounts')
      .set(callerHeaders('bookings', student, 'student'))
      .send({ role: 'student', email, displayName: 'Sam' })
      .expect(201);
    const ds = service.app.get(DataSource);
    const e = reminder(student, creditId, 3);
    await probe.produce(e.type, e.key, JSON.stringify(e));
    await eventually(
      async () =>
        expect(
          await ds.query('SELECT 1 FROM credit_reminder_emails WHERE message_id = $1', [e.id]),
        ).toHaveLength(1),
      { timeoutMs: 60_000 },
    );
    await smtp.stop();
    await service.app.get(CreditReminderEmailsJob).runOnce();
    const [row] = await ds.query(
      'SELECT sent_at, attempts, last_error FROM credit_reminder_emails WHERE message_id = $1',
      [e.id],
    );
    expect(row).toMatchObject({ sent_at: null, attempts: 1 });
    expect(row.last_error).toMatch(/ECONNREFUSED|closed/);
  });
});
