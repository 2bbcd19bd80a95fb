import { randomUUID } from 'node:crypto';
import { CaptureReservations } from '../src/reservations/capture-reservations.usecase';
import { ReserveCheckoutFunds } from '../src/reservations/reserve-checkout-funds.usecase';
import { ReturnReservation } from '../src/reservations/return-reservation.usecase';
import { SpendCredit } from '../src/spend/spend-credit.usecase';
import { CheckoutRequests, Hold, holdCommand } from './checkout-requests';
import { WalletHarness } from './wallet-harness';

/**
 * The common capture batch is one statement outside any transaction: it takes its snapshot
 * before it waits for the reservations' and accounts' locks, so these are the races in which
 * what it waited for changed what it may write, and the full path must answer instead, whole.
 */
describe('capture batches in one statement racing other writers', () => {
  const h = new WalletHarness();
  const checkout = new CheckoutRequests(h);
  beforeAll(async () => {
    await h.start([], { logStatements: true });
    // The platform's redeemed-credit account opened (by the full path) before the races.
    const student = await h.studentWithCredit(100);
    await checkout
      .captureBatch({ references: [(await checkout.holdFor(student, 100)).reference] })
      .expect(200);
  });
  afterAll(() => h.stop());

  type Outcome = { reference: string; outcome: string };
  const captureBatch = async (holds: Hold[]): Promise<Outcome[]> => {
    const res = await checkout.captureBatch({ references: holds.map((x) => x.reference) });
    expect(res.status).toBe(200);
    return (res.body as { captures: Outcome[] }).captures;
  };
  /** Whether a statement is the one-statement capture (CaptureAtOnce). */
  const atOnce = (sql: string) => sql.startsWith('WITH batch AS');
  /** Whether the batch's request was the one statement alone, or fell back to a transaction. */
  const answeredBy = (statements: string[]): 'one statement' | 'the transaction' => {
    expect(atOnce(statements[0])).toBe(true);
    if (statements.length === 1) return 'one statement';
    expect(statements[1]).toBe('START TRANSACTION');
    return 'the transaction';
  };

  it('captures once when two batches of the same references wait for the same reservations', async () => {
    const student = await h.studentWithCredit(3000);
    const holds = [await checkout.holdFor(student, 400), await checkout.holdFor(student, 500)];
    h.statements.takeRequests();
    const answers = await h.whileLocked(
      'SELECT 1 FROM credit_reservations WHERE reference = ANY($1) ORDER BY reference FOR UPDATE',
      [holds.map((x) => x.reference)],
      async () => {
        const both = [captureBatch(holds), captureBatch(holds)];
        await h.lockWaitersReach(2);
        return both;
      },
    );
    const [first, second] = await Promise.all(answers);
    expect(second).toEqual(first);
    expect(first.map((c) => c.outcome)).toEqual(['captured', 'captured']);
    // One wrote both captures alone; the other found them captured once it had the locks,
    // wrote nothing, and its transaction answered them.
    const statements = h.statements.takeRequests();
    expect(statements.filter((sql) => sql === 'START TRANSACTION')).toHaveLength(1);
    expect(statements.filter(atOnce)).toHaveLength(2);
    expect(await checkout.capturesOf(holds)).toEqual([1, 1]);
    expect((await h.wallet(student)).balances[0]).toMatchObject({
      availableCents: 2100,
      reservedCents: 0,
    });
    await h.invariantsHold();
  });

  it('writes nothing when a transactional capture of the same references commits while it waits', async () => {
    const student = await h.studentWithCredit(3000);
    const holds = [await checkout.holdFor(student, 400), await checkout.holdFor(student, 500)];
    const blocker = await h.holdOpen((tx) =>
      h.get(CaptureReservations).execute(tx, [holds[1].reference]),
    );
    const answer = h.statements.requestsOf(async () => {
      const batch = captureBatch(holds);
      await blocker.commitOnceWaited(1);
      expect((await batch).map((c) => c.outcome)).toEqual(['captured', 'captured']);
    });
    expect(answeredBy(await answer)).toBe('the transaction');
    expect(await checkout.capturesOf(holds)).toEqual([1, 1]);
    expect((await h.wallet(student)).balances[0]).toMatchObject({
      availableCents: 2100,
      reservedCents: 0,
    });
    await h.invariantsHold();
  });

  it('captures with the reserved balance a hold of the same student left while it waited', async () => {
    const student = await h.studentWithCredit(3000);
    const holds = [await checkout.holdFor(student, 600), await checkout.holdFor(student, 700)];
    const hold = holdCommand(student, 800);
    const blocker = await h.holdOpen((tx) => h.get(ReserveCheckoutFunds).holdIn(tx, hold));
    const answer = h.statements.requestsOf(async () => {
      const batch = captureBatch(holds);
      await blocker.commitOnceWaited(1);
      expect((await batch).map((c) => c.outcome)).toEqual(['captured', 'captured']);
    });
    expect(answeredBy(await answer)).toBe('one statement');
    expect(await checkout.holdWritten(hold.reference)).toEqual({
      transactions: 1,
      reservations: 1,
    });
    expect(await checkout.capturesOf(holds)).toEqual([1, 1]);
    expect((await h.wallet(student)).balances[0]).toMatchObject({
      availableCents: 900,
      reservedCents: 800,
    });
    await h.invariantsHold();
  });

  it('captures while a spend of the same student waits for its accounts, both applied', async () => {
    const student = await h.studentWithCredit(3000);
    const holds = [await checkout.holdFor(student, 600), await checkout.holdFor(student, 700)];
    // The test holds the student's accounts: the batch and a spend both queue.
    const { answer, spend } = await h.whileLocked(
      'SELECT 1 FROM ledger_accounts WHERE owner_id = $1 ORDER BY id FOR UPDATE',
      [student],
      async () => {
        const answer = h.statements.requestsOf(async () => {
          expect((await captureBatch(holds)).map((c) => c.outcome)).toEqual([
            'captured',
            'captured',
          ]);
        });
        await h.lockWaitersReach(1);
        const spend = h.dataSource.transaction((tx) =>
          h.get(SpendCredit).execute(tx, {
            ownerId: student,
            amountCents: 1000,
            currency: 'USD',
            reference: `test-spend:${randomUUID()}`,
            sourceId: 'booking',
          }),
        );
        await h.lockWaitersReach(2);
        return { answer, spend };
      },
    );
    expect(answeredBy(await answer)).toBe('one statement');
    expect((await spend).created).toBe(true);
    expect(await checkout.capturesOf(holds)).toEqual([1, 1]);
    expect((await h.wallet(student)).balances[0]).toMatchObject({
      availableCents: 700,
      reservedCents: 0,
    });
    await h.invariantsHold();
  });

  it('leaves a hold the expiry job released while it waited to the full path, which captures it late', async () => {
    const student = await h.studentWithCredit(3000);
    const [lapsing, held] = [
      await checkout.holdFor(student, 600, { prefix: '1-' }),
      await checkout.holdFor(student, 700, { prefix: '2-' }),
    ];
    const blocker = await h.holdOpen((tx) =>
      h.get(ReturnReservation).execute(tx, lapsing.reference, 'expired'),
    );
    const answer = h.statements.requestsOf(async () => {
      const captures = await (async () => {
        const batch = captureBatch([lapsing, held]);
        await blocker.commitOnceWaited(1);
        return batch;
      })();
      expect(captures).toEqual([
        expect.objectContaining({
          reference: lapsing.reference,
          outcome: 'captured',
          reservation: expect.objectContaining({ status: 'captured', releaseReason: 'expired' }),
        }),
        expect.objectContaining({
          reference: held.reference,
          outcome: 'captured',
          reservation: expect.objectContaining({ status: 'captured', releaseReason: null }),
        }),
      ]);
    });
    expect(answeredBy(await answer)).toBe('the transaction');
    expect(await checkout.capturesOf([lapsing, held])).toEqual([1, 1]);
    // The lapsed one taken from the credit it went back to, nothing owed.
    expect((await h.wallet(student)).balances[0]).toMatchObject({
      availableCents: 1700,
      reservedCents: 0,
    });
    expect(await h.debt(student)).toBe(0);
    await h.invariantsHold();
  });

  it('writes nothing of a batch one of whose keys a writer it could not see took while it waited', async () => {
    const student = await h.studentWithCredit(3000);
    const [held, taken] = [
      await checkout.holdFor(student, 300),
      await checkout.holdFor(student, 500),
    ];
    // Still held after the batch, so that the reserved account has enough for the one taken.
    await checkout.holdFor(student, 600);
    // Another capturer's transaction under the key, its row not marked: its posting holds the
    // reserved account until it commits, after the statement took its snapshot.
    let winner = '';
    const blocker = await h.holdOpen(async (tx) => {
      winner = await checkout.writeForeignCapture(tx, taken, 500);
    });
    const answer = h.statements.requestsOf(async () => {
      const batch = captureBatch([held, taken]);
      await blocker.commitOnceWaited(1);
      expect((await batch).map((c) => c.outcome)).toEqual(['captured', 'captured']);
    });
    // The statement's write of both was refused whole; the transaction captured the held one and
    // answered the taken one with the transaction that holds its key.
    expect(answeredBy(await answer)).toBe('the transaction');
    const rows = await h.dataSource.query<Array<{ tx: string }>>(
      'SELECT capture_transaction_id AS tx FROM credit_reservations WHERE reference = $1',
      [taken.reference],
    );
    expect(rows).toEqual([{ tx: winner }]);
    expect(await checkout.capturesOf([held, taken])).toEqual([1, 1]);
    expect((await h.wallet(student)).balances[0]).toMatchObject({
      availableCents: 1600,
      reservedCents: 600,
    });
    await h.invariantsHold();
  });
});
