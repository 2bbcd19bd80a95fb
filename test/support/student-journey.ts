import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ManualClock } from '@rewards/service-kit';
import { createTestPaymentMethod, eventually, SmtpSink, testCardFor } from '@rewards/testing';
import request from 'supertest';
import { buildOpenApiDocument } from '../../services/gateway/src/openapi/openapi-document';
import { GATEWAY_ROUTES } from '../../services/gateway/src/proxy/routes';
import { conformingAgent } from './openapi-conformance';
import { UnlockDueRewardsJob } from '../../services/referrals/src/student-program/unlock-due-rewards.job';
import { PlatformUnderTest } from './platform-under-test';

export interface TestUser {
  id: string;
  auth: { authorization: string };
  /** Sent as X-Device-Id and X-Forwarded-For on the user's requests: their device and network. */
  device: string;
  ip: string;
}

const codeIn = (text: string): string => {
  const match = /code is (\d{6})/.exec(text);
  if (!match) throw new Error(`no code in ${text}`);
  return match[1];
};

/** One field of a JSON answer, typed by the caller. */
const field = <T>(res: { body: unknown }, name: string): T =>
  (res.body as Record<string, unknown>)[name] as T;

let ipCounter = 10;
const freshIp = () => `198.51.${Math.floor(ipCounter / 250)}.${(ipCounter++ % 250) + 1}`;

/** What a client does in the student program, through the gateway, with the clock in hand. */
export class StudentJourney {
  /** Every answer through gw() checked against the API document (see expectConformance). */
  readonly conformance = { problems: [] as string[], checked: [] as string[] };
  private readonly doc = buildOpenApiDocument(GATEWAY_ROUTES, { devTokens: true });

  constructor(
    private readonly platform: PlatformUnderTest,
    readonly clock: ManualClock,
    private readonly smtp: SmtpSink,
    private readonly smsFile: string,
  ) {}

  gw() {
    return conformingAgent(this.doc, request(this.platform.gatewayUrl), this.conformance);
  }

  headers(user: TestUser): Record<string, string> {
    return { ...user.auth, 'x-device-id': user.device, 'x-forwarded-for': user.ip };
  }

  async signIn(
    role: 'student' | 'instructor' | 'admin',
    place: Partial<Pick<TestUser, 'device' | 'ip'>> = {},
  ): Promise<TestUser> {
    const res = await this.gw().post('/auth/dev-token').send({ role }).expect(200);
    return {
      id: field<string>(res, 'userId'),
      auth: { authorization: `Bearer ${field<string>(res, 'token')}` },
      device: place.device ?? `device-${randomUUID()}`,
      ip: place.ip ?? freshIp(),
    };
  }

  /** A student signs up, after following `link` (a share-link code) when given. */
  async student(
    link?: string,
    place: Partial<Pick<TestUser, 'device' | 'ip'>> = {},
  ): Promise<TestUser & { referral: Record<string, unknown> }> {
    const user = await this.signIn('student', place);
    let cookie: string | undefined;
    if (link) {
      const res = await this.gw()
        .get(`/r/${link}`)
        .set(this.headers(user))
        .redirects(0)
        .expect(302);
      const set = (res.headers['set-cookie'] as unknown as string[]) ?? [];
      cookie = set.find((c) => c.startsWith('rp_ref='))?.split(';')[0];
    }
    const res = await this.gw()
      .post('/accounts')
      .set({ ...this.headers(user), ...(cookie ? { cookie } : {}) })
      .send({ role: 'student', email: `${user.id}@example.test`, displayName: 'Student' })
      .expect(201);
    return { ...user, referral: field<Record<string, unknown>>(res, 'referral') };
  }

  async codeOf(user: TestUser): Promise<string> {
    return eventually(
      async () => {
        const res = await this.gw().get('/referrals/me').set(user.auth).expect(200);
        return field<string>(res, 'code');
      },
      { timeoutMs: 60_000 },
    );
  }

  /** Verifies email (code read from the SMTP sink) and phone (code read from the SMS log). */
  async verify(user: TestUser): Promise<void> {
    await this.gw().post('/accounts/me/verification/email').set(user.auth).expect(202);
    const mail = await eventually(() => {
      const mails = this.smtp.to(`${user.id}@example.test`);
      expect(mails.length).toBeGreaterThan(0);
      return mails[mails.length - 1];
    });
    await this.gw()
      .post('/accounts/me/verification/email/confirm')
      .set(user.auth)
      .send({ code: codeIn(mail.raw) })
      .expect(200);
    const phone = `+1${String(2000000000 + Math.floor(Math.random() * 7999999999)).slice(0, 10)}`;
    await this.gw()
      .post('/accounts/me/verification/phone')
      .set(user.auth)
      .send({ phone })
      .expect(202);
    const sms = (await readFile(this.smsFile, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { to: string; text: string })
      .filter((m) => m.to === phone)
      .pop();
    if (!sms) throw new Error(`no SMS to ${phone}`);
    await this.gw()
      .post('/accounts/me/verification/phone/confirm')
      .set(user.auth)
      .send({ code: codeIn(sms.text) })
      .expect(200);
  }

  async liveInstructor(): Promise<TestUser> {
    const user = await this.signIn('instructor');
    await this.gw()
      .post('/accounts')
      .set(user.auth)
      .send({ role: 'instructor', email: `${user.id}@example.test`, displayName: 'Teacher' })
      .expect(201);
    const account = this.platform.stripe.createAccount({ payoutsEnabled: true });
    await this.gw()
      .put('/accounts/me/payout-account')
      .set(user.auth)
      .send({ stripeAccountId: account.id })
      .expect(200);
    await this.gw().post('/accounts/me/go-live').set(user.auth).expect(200);
    return user;
  }

  /**
   * The student books a lesson a minute ahead, paying when it costs anything with `card` (a test
   * card number; by default the student's own); time moves past its start; it is completed.
   */
  async lesson(
    student: TestUser,
    instructor: TestUser,
    priceCents: number,
    card: string = testCardFor(student.id),
  ): Promise<string> {
    const paymentMethodId =
      priceCents > 0 ? await createTestPaymentMethod(this.platform.stripe.url, card) : undefined;
    const start = new Date(this.clock.now().getTime() + 60_000);
    const res = await this.gw()
      .post('/bookings')
      .set(student.auth)
      .send({
        instructorId: instructor.id,
        startsAt: start.toISOString(),
        endsAt: new Date(start.getTime() + 3600_000).toISOString(),
        priceCents,
        paymentMethodId,
      })
      .expect(201);
    this.clock.advance(2 * 60_000);
    await this.gw()
      .post(`/bookings/${field<string>(res, 'id')}/complete`)
      .set(instructor.auth)
      .expect(200);
    return field<string>(res, 'id');
  }

  async rewardsOf(referrer: TestUser) {
    const res = await this.gw().get('/referrals/me').set(referrer.auth).expect(200);
    return field<{
      clicks: number;
      signups: number;
      waiting: Array<{ message: string }>;
      rewards: Array<{ rewardId: string; status: string; reason: string; message: string }>;
    }>(res, 'studentProgram');
  }

  /** Polls the referrer's view until a reward with `status` shows up. */
  async rewardIn(referrer: TestUser, status: string) {
    return eventually(
      async () => {
        const view = await this.rewardsOf(referrer);
        const reward = view.rewards.find((r) => r.status === status);
        expect(reward).toBeDefined();
        return reward!;
      },
      { timeoutMs: 60_000 },
    );
  }

  async wallet(user: TestUser) {
    const res = await this.gw().get('/wallet/me').set(user.auth).expect(200);
    const usd = field<Array<Record<string, number>>>(res, 'balances')[0] ?? {};
    return {
      available: usd.availableCents ?? 0,
      pending: usd.pendingCents ?? 0,
      debt: usd.debtCents ?? 0,
    };
  }

  /** Moves every service's clock, then runs the unlock job's tick at once. */
  async afterDays(days: number) {
    this.clock.advance(days * 86_400_000);
    return this.platform.referrals().app.get(UnlockDueRewardsJob).runOnce();
  }
}
