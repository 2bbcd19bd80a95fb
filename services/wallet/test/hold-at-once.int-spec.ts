import { randomUUID } from 'node:crypto';
import { EventEnvelope, RewardUnlockedV1 } from '@rewards/contracts';
import { eventually } from '@rewards/testing';
import { ExpireDueCredit } from '../src/lots/expire-due-credit.usecase';
import { CaptureReservations } from '../src/reservations/capture-reservations.usecase';
import {
  ReserveCheckoutFunds,
  ReserveCheckoutFundsCommand,
} from '../src/reservations/reserve-checkout-funds.usecase';
import { RewardUnlockedConsumer } from '../src/rewards/reward-unlocked.consumer';
import { SpendCredit } from '../src/spend/spend-credit.usecase';
import { WalletError } from '../src/wallet-error';
import { CheckoutRequests, holdCommand } from './checkout-requests';
import { UNLOCKED_AT, unlocked, WalletHarness } from './wallet-harness';

/**
 * The common hold is one statement outside any transaction: it takes its snapshot before it
 * waits for the accounts' locks, so these are the races in which what it waited for changed
 * what it may see, and the full path must answer instead.
 */
describe('holds in one statement racing other writers', () => {
  const h = new WalletHarness();
  const checkout = new CheckoutRequests(h);
  beforeAll(() => h.start([]));
  afterAll(() => h.stop());

  const hold = (c: ReserveCheckoutFundsCommand) => h.get(ReserveCheckoutFunds).execute(c);
  /** A student with credit whose reserved account is open: their next hold is one statement. */
  const studentReadyToHold = async (credit: number) => {
    const student = await h.studentWithCredit(credit);
    await hold(holdCommand(student, 100));
    return student;
  };
  const lotsTakenBy = async (reference: string) => {
    const [{ cents }] = await h.dataSource.query<Array<{ cents: number }>>(
      `SELECT coalesce(sum(u.amount_cents), 0)::int AS cents
         FROM credit_lot_uses u JOIN credit_reservations r ON r.reserve_transaction_id = u.transaction_id
        WHERE r.reference = $1`,
      [reference],
    );
    return cents;
  };

  // With 1000 the second finds the credit held by the first once it gets the locks; with 2000
  // its ledger insert finds the key taken. Either way the first's reservation is the answer.
  it.each([1000, 2000])(
    'holds once when two holds of one reference wait for the same locks (%i credit)',
    async (credit) => {
      const student = await studentReadyToHold(credit);
      const blocker = await h.holdOpen((tx) =>
        tx.query('SELECT 1 FROM ledger_accounts WHERE owner_id = $1 ORDER BY id FOR UPDATE', [
          student,
        ]),
      );
      const c = holdCommand(student, 500);
      const answers = [hold(c), hold(c)];
      await blocker.commitOnceWaited(2);
      const [first, second] = await Promise.all(answers);
      expect(second).toEqual(first);
      expect(first).toMatchObject({ reference: c.reference, status: 'held', creditCents: 500 });
      expect(await checkout.holdWritten(c.reference)).toEqual({ transactions: 1, reservations: 1 });
      expect(await lotsTakenBy(c.reference)).toBe(500);
      expect((await h.wallet(student)).balances[0]).toMatchObject({
        availableCents: credit - 600,
        reservedCents: 600,
      });
      await h.invariantsHold();
    },
  );

  it('holds while a capture batch over the same student holds its reserved account', async () => {
    const student = await h.studentWithCredit(2000);
    const captured = await checkout.holdFor(student, 700);
    const blocker = await h.holdOpen((tx) =>
      h.get(CaptureReservations).execute(tx, [captured.reference]),
    );
    const c = holdCommand(student, 1300);
    const held = hold(c);
    await blocker.commitOnceWaited(1);
    expect(await held).toMatchObject({ reference: c.reference, status: 'held', creditCents: 1300 });
    expect(await lotsTakenBy(c.reference)).toBe(1300);
    expect((await h.wallet(student)).balances[0]).toMatchObject({
      availableCents: 0,
      reservedCents: 1300,
    });
    await h.invariantsHold();
  });

  it('refuses with the balance a spend left while the hold waited, writing nothing', async () => {
    const student = await studentReadyToHold(1000);
    const blocker = await h.holdOpen((tx) =>
      h.get(SpendCredit).execute(tx, {
        ownerId: student,
        amountCents: 600,
        currency: 'USD',
        reference: `test-spend:${randomUUID()}`,
        sourceId: 'booking',
      }),
    );
    const c = holdCommand(student, 500);
    const refused = hold(c).catch((err: unknown) => err);
    await blocker.commitOnceWaited(1);
    expect(await refused).toBeInstanceOf(WalletError);
    expect(await refused).toMatchObject({
      code: 'INSUFFICIENT_CREDIT',
      details: { balanceCents: 300, requiredCents: 500 },
    });
    expect(await checkout.holdWritten(c.reference)).toEqual({ transactions: 0, reservations: 0 });
    expect((await h.wallet(student)).balances[0]).toMatchObject({
      availableCents: 300,
      reservedCents: 100,
    });
    await h.invariantsHold();
  });

  it('refuses once the expiry job expired the credit the hold waited for, writing nothing', async () => {
    const student = randomUUID();
    const credit = unlocked(randomUUID(), student, 1000, 'student_referral_credit', {
      unlockedAt: UNLOCKED_AT,
      expiresAt: '2026-04-01T10:00:00.000Z',
    });
    await h.send(credit);
    await eventually(() => h.consumed(credit.id));
    await hold(holdCommand(student, 100));
    // Only this student's lot is due then: the others expire in September.
    const blocker = await h.holdOpen((tx) =>
      h.get(ExpireDueCredit).execute(tx, new Date('2026-04-02T00:00:00.000Z'), 10),
    );
    const c = holdCommand(student, 500);
    const refused = hold(c).catch((err: unknown) => err);
    await blocker.commitOnceWaited(1);
    expect(await refused).toMatchObject({
      code: 'INSUFFICIENT_CREDIT',
      details: { balanceCents: 0, requiredCents: 500 },
    });
    expect(await checkout.holdWritten(c.reference)).toEqual({ transactions: 0, reservations: 0 });
    expect((await h.wallet(student)).balances[0]).toMatchObject({
      availableCents: 0,
      reservedCents: 100,
    });
    await h.invariantsHold();
  });

  it('takes the lots of credit unlocked while the hold waited, which its statement cannot see', async () => {
    const student = await studentReadyToHold(1000);
    // The credit and its lot commit after the hold's statement began: the balance it reads under
    // the lock has them, its snapshot has not the lot.
    const blocker = await h.holdOpen((tx) =>
      h
        .get(RewardUnlockedConsumer)
        .handle(unlocked(randomUUID(), student, 500) as EventEnvelope<RewardUnlockedV1>, tx),
    );
    const c = holdCommand(student, 1200);
    const held = hold(c);
    await blocker.commitOnceWaited(1);
    expect(await held).toMatchObject({ reference: c.reference, status: 'held' });
    expect(await lotsTakenBy(c.reference)).toBe(1200);
    expect((await h.wallet(student)).balances[0]).toMatchObject({
      availableCents: 200,
      reservedCents: 1300,
    });
    await h.invariantsHold();
  });
});
