import { EntityManager } from 'typeorm';
import {
  ReserveCheckoutFunds,
  ReserveCheckoutFundsCommand,
} from '../src/reservations/reserve-checkout-funds.usecase';
import { WalletError } from '../src/wallet-error';
import { CheckoutRequests, holdCommand } from './checkout-requests';
import { WalletHarness } from './wallet-harness';

/**
 * A hold's full path (holdIn: what answers when the one statement could not) looks its
 * reservation up and locks the accounts in one statement, and writes the ledger transaction, the
 * lots taken and the reservation in another: these are the races between them.
 */
describe('holds racing on one student', () => {
  const h = new WalletHarness();
  const checkout = new CheckoutRequests(h);
  beforeAll(() => h.start([]));
  afterAll(() => h.stop());

  const studentWithCredit = (cents: number) => h.studentWithCredit(cents);
  const reserve = (c: ReserveCheckoutFundsCommand) => (tx: EntityManager) =>
    h.get(ReserveCheckoutFunds).holdIn(tx, c);

  it('refuses a hold that finds too little credit once it gets the lock, writing nothing', async () => {
    const student = await studentWithCredit(1000);
    // A first hold opens the reserved account: the one racing here finds every account.
    await h.dataSource.transaction(reserve(holdCommand(student, 100)));
    const [first, second] = [holdCommand(student, 600), holdCommand(student, 500)];
    let refused: unknown;
    const { secondFinishedFirst } = await h.interleave(reserve(first), (tx) =>
      reserve(second)(tx).catch((err: unknown) => (refused = err)),
    );
    expect(secondFinishedFirst).toBe(false);
    expect(refused).toBeInstanceOf(WalletError);
    expect(refused).toMatchObject({
      code: 'INSUFFICIENT_CREDIT',
      details: { balanceCents: 300, requiredCents: 500 },
    });
    expect(await checkout.holdWritten(second.reference)).toEqual({
      transactions: 0,
      reservations: 0,
    });
    expect((await h.wallet(student)).balances[0]).toMatchObject({
      availableCents: 300,
      reservedCents: 700,
    });
    await h.invariantsHold();
  });

  it('answers a replay from the reservation alone, even with the credit spent and locked', async () => {
    const student = await studentWithCredit(800);
    const c = holdCommand(student, 800);
    const first = await h.dataSource.transaction(reserve(c));
    // Another transaction holds the student's accounts: a replay does not wait for them.
    const { secondFinishedFirst } = await h.interleave(
      (tx) =>
        tx.query('SELECT 1 FROM ledger_accounts WHERE owner_id = $1 ORDER BY id FOR UPDATE', [
          student,
        ]),
      async (tx) => expect(await reserve(c)(tx)).toEqual(first),
    );
    expect(secondFinishedFirst).toBe(true);
    expect(await checkout.holdWritten(c.reference)).toEqual({ transactions: 1, reservations: 1 });
    await h.invariantsHold();
  });

  it('opens the reserved account once when two first holds of a student race', async () => {
    const student = await studentWithCredit(1000);
    const [first, second] = [holdCommand(student, 300), holdCommand(student, 400)];
    const held: unknown[] = [];
    // The second waits for the first's new reserved account, then locks them all again.
    const { secondFinishedFirst } = await h.interleave(
      async (tx) => held.push(await reserve(first)(tx)),
      async (tx) => held.push(await reserve(second)(tx)),
    );
    expect(secondFinishedFirst).toBe(false);
    expect(held).toHaveLength(2);
    const [{ n }] = await h.dataSource.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM ledger_accounts WHERE owner_id = $1 AND kind = 'user_reserved'`,
      [student],
    );
    expect(n).toBe(1);
    expect((await h.wallet(student)).balances[0]).toMatchObject({
      availableCents: 300,
      reservedCents: 700,
    });
    await h.invariantsHold();
  });

  // With 1000 the second finds the credit spent once it gets the lock; with 2000 its ledger
  // insert finds the key taken. Either way the winner's reservation is the answer.
  it.each([1000, 2000])(
    'answers the winner when two holds with one reference race, holding once (%i credit)',
    async (credit) => {
      const student = await studentWithCredit(credit);
      await h.dataSource.transaction(reserve(holdCommand(student, 100)));
      const c = holdCommand(student, 500);
      const answers: unknown[] = [];
      const { secondFinishedFirst } = await h.interleave(
        async (tx) => answers.push(await reserve(c)(tx)),
        async (tx) => answers.push(await reserve(c)(tx)),
      );
      expect(secondFinishedFirst).toBe(false);
      expect(answers[1]).toEqual(answers[0]);
      expect(await checkout.holdWritten(c.reference)).toEqual({ transactions: 1, reservations: 1 });
      expect((await h.wallet(student)).balances[0]).toMatchObject({
        availableCents: credit - 600,
        reservedCents: 600,
      });
      await h.invariantsHold();
    },
  );
});
