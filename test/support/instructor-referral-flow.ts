import { createTestPaymentMethod, eventually } from '@rewards/testing';
import request from 'supertest';
import { PlatformUnderTest } from './platform-under-test';

/**
 * The walking-skeleton flow driven through the gateway as a client would: instructors sign up
 * (one referred by the other), go live, teach a paid lesson, and the referrer's payout is paid.
 * `platform` is read when a step runs (suites start the platform in beforeAll).
 */
export function instructorReferralFlow(platform: () => PlatformUnderTest) {
  const gw = () => request(platform().gatewayUrl);
  const signIn = async (role: 'student' | 'instructor' | 'admin') => {
    const res = await gw().post('/auth/dev-token').send({ role }).expect(200);
    return { id: res.body.userId as string, auth: { authorization: `Bearer ${res.body.token}` } };
  };

  const registerInstructor = async (referralCode?: string, { payoutsEnabled = true } = {}) => {
    const user = await signIn('instructor');
    await gw()
      .post('/accounts')
      .set(user.auth)
      .send({
        role: 'instructor',
        email: `${user.id}@example.test`,
        displayName: 'Instructor',
        referralCode,
      })
      .expect(201);
    const account = platform().stripe.createAccount({ payoutsEnabled });
    await gw()
      .put('/accounts/me/payout-account')
      .set(user.auth)
      .send({ stripeAccountId: account.id })
      .expect(200);
    return { ...user, stripeAccountId: account.id };
  };

  /** A new student books `instructor` for a paid lesson that `instructor` then completes. */
  const teachFirstLesson = async (instructor: { id: string; auth: Record<string, string> }) => {
    const student = await signIn('student');
    await gw()
      .post('/accounts')
      .set(student.auth)
      .send({ role: 'student', email: `${student.id}@example.test`, displayName: 'Student' })
      .expect(201);
    const paymentMethodId = await createTestPaymentMethod(platform().stripe.url);
    // Soon enough to complete it in the test, late enough that a slow request (a loaded machine,
    // the first one through a gateway still fetching its keys) still books it in the future.
    const startsAt = new Date(Date.now() + 2000);
    const booking = await gw()
      .post('/bookings')
      .set(student.auth)
      .send({
        instructorId: instructor.id,
        startsAt: startsAt.toISOString(),
        endsAt: new Date(startsAt.getTime() + 3_600_000).toISOString(),
        priceCents: 8000,
        paymentMethodId,
      })
      .expect(201);
    await new Promise((resolve) => setTimeout(resolve, startsAt.getTime() + 100 - Date.now()));
    await gw().post(`/bookings/${booking.body.id}/complete`).set(instructor.auth).expect(200);
  };

  /** A refers B; B goes live; a student books B; B completes the lesson. Returns A. */
  const referAndTeach = async () => {
    const a = await registerInstructor();
    const code = await eventually(
      async () => {
        const res = await gw().get('/referrals/me').set(a.auth).expect(200);
        return res.body.code as string;
      },
      { timeoutMs: 60_000 },
    );
    const b = await registerInstructor(code);
    await gw().post('/accounts/me/go-live').set(b.auth).expect(200);
    // Generous: a consumer group that just lost a member (an earlier suite) rebalances first.
    await eventually(
      async () => {
        const res = await gw().get('/referrals/me/referred-instructors').set(a.auth).expect(200);
        expect(res.body.items).toEqual([
          expect.objectContaining({ refereeId: b.id, status: 'pending_lesson' }),
        ]);
      },
      { timeoutMs: 60_000 },
    );
    await teachFirstLesson(b);
    return { a, b };
  };

  const paidPayoutOf = (a: { auth: Record<string, string> }, timeoutMs = 60_000) =>
    eventually(
      async () => {
        const res = await gw().get('/payouts/me').set(a.auth).expect(200);
        if (res.body.items.length === 0) {
          // Where the flow stopped, should it never arrive: the referral's state tells.
          const referred = await gw().get('/referrals/me/referred-instructors').set(a.auth);
          throw new Error(`no payout yet; referred instructors: ${JSON.stringify(referred.body)}`);
        }
        expect(res.body.items).toHaveLength(1);
        expect(res.body.items[0].status).toBe('paid');
        return res.body.items[0];
      },
      { timeoutMs },
    );

  return { gw, signIn, registerInstructor, teachFirstLesson, referAndTeach, paidPayoutOf };
}
