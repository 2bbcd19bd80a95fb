import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, ManualClock } from '@rewards/service-kit';
import {
  callerHeaders,
  errorOf,
  eventually,
  KafkaProbe,
  migrate,
  RunningServiceApp,
  serviceTestEnv,
  SmtpSink,
  startServiceApp,
} from '@rewards/testing';
import request from 'supertest';
import { AppModule } from '../src/app.module';
import { mapBookingsError } from '../src/bookings-error';
import { BookingsConfig } from '../src/config/bookings.config';
import { bookingsDataSource } from '../src/db/data-source';
import { ConfirmVerificationCode } from '../src/verification/confirm-verification-code.usecase';

const as = (userId: string) => callerHeaders('bookings', userId, 'student');

/** The code in the latest email to `to`. */
function codeIn(text: string): string {
  const match = /code is (\d{6})/.exec(text);
  if (!match) throw new Error(`no code in: ${text}`);
  return match[1];
}

describe(ConfirmVerificationCode.name, () => {
  const smtp = new SmtpSink();
  const smsFile = join(tmpdir(), `sms-${randomUUID()}.jsonl`);
  const clock = new ManualClock(new Date('2026-12-01T10:00:00Z'));
  let service: RunningServiceApp;
  let probe: KafkaProbe;

  beforeAll(async () => {
    await smtp.start();
    const config = loadConfig(
      BookingsConfig,
      serviceTestEnv('bookings', {
        SMTP_URL: smtp.url,
        SMS_LOG_FILE: smsFile,
        VERIFICATION_SENDS_PER_HOUR: '3',
        CHECKOUT_QUOTE_SECRET: 'bookings-test-quote-secret-with-32-characters',
        STRIPE_SECRET_KEY: 'sk_test_bookings',
      }),
    );
    await migrate(bookingsDataSource(config.DATABASE_URL));
    service = await startServiceApp(AppModule.forRoot(config, { clock }), mapBookingsError);
    probe = new KafkaProbe();
    await probe.watch(['user-verified']);
  });

  afterAll(async () => {
    await probe?.close();
    await service?.close();
    await smtp.stop();
  });

  const register = async () => {
    const id = randomUUID();
    const email = `${id}@example.test`;
    await request(service.url)
      .post('/accounts')
      .set(as(id))
      .send({ role: 'student', email, displayName: 'Vera' })
      .expect(201);
    return { id, email };
  };
  const latestEmailCode = (email: string) => {
    const mails = smtp.to(email);
    expect(mails.length).toBeGreaterThan(0);
    return codeIn(mails[mails.length - 1].raw);
  };
  const latestSmsCode = async (phone: string) => {
    const lines = (await readFile(smsFile, 'utf8')).trim().split('\n');
    const mine = lines.map((l) => JSON.parse(l) as { to: string; text: string });
    const last = mine.filter((m) => m.to === phone).pop();
    if (!last) throw new Error(`no SMS to ${phone}`);
    return codeIn(last.text);
  };

  it('verifies email and phone with the codes sent over SMTP and SMS, announcing each', async () => {
    const { id, email } = await register();
    const sent = await request(service.url)
      .post('/accounts/me/verification/email')
      .set(as(id))
      .send({})
      .expect(202);
    expect(sent.body).toMatchObject({ channel: 'email', sentTo: expect.stringContaining('***@') });
    await request(service.url)
      .post('/accounts/me/verification/email/confirm')
      .set(as(id))
      .send({ code: latestEmailCode(email) })
      .expect(200, { emailVerified: true, phoneVerified: false });

    const phone = `+1415${String(Date.now()).slice(-7)}`;
    await request(service.url)
      .post('/accounts/me/verification/phone')
      .set(as(id))
      .send({ phone })
      .expect(202);
    await request(service.url)
      .post('/accounts/me/verification/phone/confirm')
      .set(as(id))
      .send({ code: await latestSmsCode(phone) })
      .expect(200, { emailVerified: true, phoneVerified: true });

    const me = await request(service.url).get('/accounts/me').set(as(id)).expect(200);
    expect(me.body).toMatchObject({ emailVerified: true, phoneVerified: true, phone });
    await eventually(() => {
      const events = probe
        .find('user-verified', (v) => v.payload?.userId === id)
        .map((m) => (JSON.parse(m.value) as { payload: object }).payload);
      expect(events).toEqual([
        expect.objectContaining({ emailVerified: true, phoneVerified: false }),
        expect.objectContaining({ emailVerified: true, phoneVerified: true }),
      ]);
    });
  });

  it('uses a code once: confirming it again finds no code waiting', async () => {
    const { id, email } = await register();
    await request(service.url).post('/accounts/me/verification/email').set(as(id)).expect(202);
    const code = latestEmailCode(email);
    await request(service.url)
      .post('/accounts/me/verification/email/confirm')
      .set(as(id))
      .send({ code })
      .expect(200);
    const again = await request(service.url)
      .post('/accounts/me/verification/email/confirm')
      .set(as(id))
      .send({ code })
      .expect(422);
    expect(errorOf(again).code).toBe('VERIFICATION_NOT_REQUESTED');
    const resend = await request(service.url)
      .post('/accounts/me/verification/email')
      .set(as(id))
      .expect(409);
    expect(errorOf(resend).code).toBe('ALREADY_VERIFIED');
  });

  it('refuses an expired code and changes nothing', async () => {
    const { id, email } = await register();
    await request(service.url).post('/accounts/me/verification/email').set(as(id)).expect(202);
    const code = latestEmailCode(email);
    clock.advance(10 * 60_000 + 1);
    const res = await request(service.url)
      .post('/accounts/me/verification/email/confirm')
      .set(as(id))
      .send({ code })
      .expect(422);
    expect(errorOf(res)).toMatchObject({ code: 'VERIFICATION_CODE_EXPIRED', field: 'code' });
    const me = await request(service.url).get('/accounts/me').set(as(id)).expect(200);
    expect(me.body.emailVerified).toBe(false);
  });

  it('counts wrong guesses and burns the code after the last one', async () => {
    const { id, email } = await register();
    await request(service.url).post('/accounts/me/verification/email').set(as(id)).expect(202);
    const code = latestEmailCode(email);
    const wrong = code === '000000' ? '000001' : '000000';
    for (let left = 4; left >= 0; left--) {
      const res = await request(service.url)
        .post('/accounts/me/verification/email/confirm')
        .set(as(id))
        .send({ code: wrong })
        .expect(422);
      expect(errorOf(res).code).toBe('VERIFICATION_CODE_INVALID');
    }
    const res = await request(service.url)
      .post('/accounts/me/verification/email/confirm')
      .set(as(id))
      .send({ code })
      .expect(422);
    expect(errorOf(res).code).toBe('VERIFICATION_ATTEMPTS_EXCEEDED');
  });

  it('rate-limits sends per user with Retry-After', async () => {
    const { id } = await register();
    await request(service.url).post('/accounts/me/verification/email').set(as(id)).expect(202);
    const tooSoon = await request(service.url)
      .post('/accounts/me/verification/email')
      .set(as(id))
      .expect(429);
    expect(errorOf(tooSoon).code).toBe('VERIFICATION_RATE_LIMITED');
    expect(Number(tooSoon.headers['retry-after'])).toBeGreaterThan(0);
    clock.advance(31_000);
    await request(service.url).post('/accounts/me/verification/email').set(as(id)).expect(202);
    clock.advance(31_000);
    await request(service.url).post('/accounts/me/verification/email').set(as(id)).expect(202);
    clock.advance(31_000);
    const hourly = await request(service.url)
      .post('/accounts/me/verification/email')
      .set(as(id))
      .expect(429);
    expect(Number(hourly.headers['retry-after'])).toBeGreaterThan(3000);
  });

  it('refuses bad input with the field named', async () => {
    const { id } = await register();
    const badPhone = await request(service.url)
      .post('/accounts/me/verification/phone')
      .set(as(id))
      .send({ phone: '0123' })
      .expect(422);
    expect(errorOf(badPhone)).toMatchObject({ code: 'VALIDATION_FAILED', field: 'phone' });
    const unknown = await request(service.url)
      .post('/accounts/me/verification/email/confirm')
      .set(as(id))
      .send({ code: '123456', extra: 1 })
      .expect(422);
    expect(errorOf(unknown)).toMatchObject({ code: 'VALIDATION_FAILED', field: 'extra' });
    await request(service.url).post('/accounts/me/verification/fax').set(as(id)).expect(404);
  });

  it('refuses a phone already verified on another account', async () => {
    const phone = `+1646${String(Date.now()).slice(-7)}`;
    const first = await register();
    await request(service.url)
      .post('/accounts/me/verification/phone')
      .set(as(first.id))
      .send({ phone })
      .expect(202);
    await request(service.url)
      .post('/accounts/me/verification/phone/confirm')
      .set(as(first.id))
      .send({ code: await latestSmsCode(phone) })
      .expect(200);
    const second = await register();
    const res = await request(service.url)
      .post('/accounts/me/verification/phone')
      .set(as(second.id))
      .send({ phone })
      .expect(409);
    expect(errorOf(res)).toMatchObject({ code: 'PHONE_TAKEN', field: 'phone' });
  });
});
