import { errorOf, eventually, serviceHeaders } from '@rewards/testing';
import request from 'supertest';
import { CheckoutRequests, confirmedBooking } from './checkout-requests';
import { WalletHarness } from './wallet-harness';

/**
 * What the wallet's part of a checkout costs in database round trips (statements, BEGIN and
 * COMMIT included): every one is a message each way on a busy machine.
 */
describe('checkout round trips of the wallet', () => {
  const h = new WalletHarness();
  const checkout = new CheckoutRequests(h);
  beforeAll(() => h.start([], { logStatements: true }));
  afterAll(() => h.stop());

  const studentWithCredit = (cents: number) => h.studentWithCredit(cents);
  const hold = (studentId: string, creditCents: number) =>
    checkout.holdRequest(studentId, creditCents);
  const capture = (...references: string[]) => checkout.captureBatch({ references });

  it('holds, captures and reads funds in few statements', async () => {
    // Captures before the counted ones open the platform's redeemed-credit account, then find it
    // (once seen committed, it is never looked up again).
    const other = await studentWithCredit(200);
    for (const warm of [hold(other, 100), hold(other, 100)]) {
      await warm.send().expect(200);
      await capture(warm.reference).expect(200);
    }

    const student = await studentWithCredit(3000);
    const first = hold(student, 1000);
    const opening = await h.statements.requestsOf(() => first.send().expect(200));
    // The one statement finds the reserved account missing and writes nothing; then BEGIN; the
    // reservation looked for and the accounts locked (none: one is missing); the reserved
    // account opened and all locked; the ledger transaction with its postings, the lots taken
    // and the reservation; COMMIT.
    expect(opening).toHaveLength(6);
    expect(opening[0]).toContain('INSERT INTO credit_reservations');
    expect(opening[1]).toBe('START TRANSACTION');

    const second = hold(student, 500);
    const held = await h.statements.requestsOf(() => second.send().expect(200));
    // The reservation looked for, the accounts locked, the lots taken and everything written in
    // one statement, without BEGIN or COMMIT.
    expect(held).toHaveLength(1);
    expect(held[0]).toContain('FROM credit_reservations WHERE reference = $12');
    expect(held[0]).toContain('INSERT INTO credit_reservations');

    // A replay: the one statement finds the reservation and writes nothing; then BEGIN, the
    // reservation found and locked (no account locked), COMMIT.
    expect(await h.statements.requestsOf(() => second.send().expect(200))).toHaveLength(4);

    const third = hold(student, 500);
    await third.send().expect(200);
    const captured = await h.statements.requestsOf(() =>
      capture(first.reference, third.reference).expect(200),
    );
    // One statement, without BEGIN or COMMIT: the batch's holds locked, the accounts their
    // captures move locked (the platform's read), and every hold captured: their ledger
    // transactions with the postings and the reservations marked captured.
    expect(captured).toHaveLength(1);
    expect(captured[0]).toContain('FROM credit_reservations c');
    expect(captured[0]).toContain('FROM ledger_accounts a');
    expect(captured[0]).toContain('INSERT INTO ledger_transactions');
    expect(captured[0]).toContain('UPDATE credit_reservations');
    // A replay: the one statement finds the holds captured and writes nothing; then BEGIN, the
    // holds found captured (not locked), no account to lock, COMMIT.
    expect(
      await h.statements.requestsOf(() => capture(first.reference, third.reference).expect(200)),
    ).toHaveLength(4);

    const funds = await request(h.url)
      .get('/internal/checkout-funds')
      .set(serviceHeaders('bookings', 'wallet'))
      .query({ studentId: student, currency: 'USD' })
      .expect(200);
    expect(funds.body).toMatchObject({ creditCents: 1000 });
    // The two balances in one statement, no transaction.
    expect(h.statements.takeRequests()).toHaveLength(1);
    expect((await h.wallet(student)).balances[0]).toMatchObject({
      availableCents: 1000,
      reservedCents: 500,
    });
    await h.invariantsHold();
  });

  it('holds credit and a fee rebate in one statement; a short one writes nothing', async () => {
    const [student, instructor] = [
      await studentWithCredit(3000),
      await h.instructorWithRebate(5000),
    ];
    const put = (creditCents: number, feeRebateCents: number) =>
      checkout.holdRequest(student, creditCents, { instructorId: instructor, feeRebateCents });
    // The first opens both reserved accounts (the full path).
    await put(100, 100).send().expect(200);
    h.statements.takeRequests();

    const both = await put(1000, 1200).send().expect(200);
    expect(both.body).toMatchObject({
      status: 'held',
      credit: { amountCents: 1000 },
      feeRebate: { amountCents: 1200 },
    });
    expect(h.statements.takeRequests()).toHaveLength(1);

    const short = put(500, 4000);
    const refused = await short.send().expect(409);
    expect(errorOf(refused)).toMatchObject({
      code: 'INSUFFICIENT_CREDIT',
      details: { balanceCents: 3700, requiredCents: 4000, currency: 'USD' },
    });
    // The one statement wrote nothing; the full path read the balances under its locks, found
    // no concurrent hold of the reference to answer instead, and refused.
    const statements = h.statements.takeRequests();
    expect(statements).toHaveLength(5);
    expect([statements[1], statements[4]]).toEqual(['START TRANSACTION', 'ROLLBACK']);
    expect(await checkout.holdWritten(short.reference)).toEqual({
      transactions: 0,
      reservations: 0,
    });
    expect((await h.wallet(student)).balances[0]).toMatchObject({
      availableCents: 1900,
      reservedCents: 1100,
    });
    expect((await h.wallet(instructor)).balances[0]).toMatchObject({
      feeRebateCents: 3700,
      reservedCents: 1300,
    });
    await h.invariantsHold();
  });

  it('applies a booking-confirmed whose hold was captured already in few statements', async () => {
    const student = await studentWithCredit(1000);
    const first = hold(student, 400);
    await first.send().expect(200);
    await capture(first.reference).expect(200);
    const event = confirmedBooking(first);
    await h.send(event);
    await eventually(() => h.consumed(event.id));
    // BEGIN, the message recorded in the inbox, the run's reservations locked (the captured one
    // too: its capture is still to be told), the capture claimed for telling, its wallet-debited
    // written, COMMIT.
    const run = h.statements.transactionWith('INSERT INTO inbox_messages', event.id);
    expect(run).toHaveLength(6);
    expect(run[2]).toContain('credit_reservations');
    expect(run[3]).toContain('SET debit_announced_at');
    expect(run[4]).toContain('INSERT INTO outbox_messages');

    // Told once, the capture leaves nothing to do: another confirmation of the booking only
    // reads its row. A transaction of the test's own holds the row: the run does not wait for it.
    const again = confirmedBooking(first);
    await h.whileLocked(
      'SELECT 1 FROM credit_reservations WHERE reference = $1 FOR UPDATE',
      [first.reference],
      async () => {
        await h.send(again);
        await eventually(() => h.consumed(again.id));
      },
    );
    // BEGIN, the message recorded in the inbox, the run's reservations read, COMMIT.
    const second = h.statements.transactionWith('INSERT INTO inbox_messages', again.id);
    expect(second).toHaveLength(4);
    expect(second[2]).toContain('credit_reservations');
  });

  it('captures the held reservations of a booking-confirmed run in one statement, whatever their number', async () => {
    const [a, b] = [await studentWithCredit(2000), await studentWithCredit(2000)];
    const holds = [
      await checkout.holdFor(a, 100),
      await checkout.holdFor(b, 200),
      await checkout.holdFor(a, 300),
      await checkout.holdFor(b, 400),
    ];
    const events = holds.map(confirmedBooking);
    await h.sendTogether(events, 0);
    await eventually(async () => {
      for (const event of events) await h.consumed(event.id);
    });
    // BEGIN, the messages recorded in the inbox, the run's reservations locked, the accounts
    // their captures move locked (the platform's read), every capture written, every capture
    // claimed for telling, all their wallet-debited written, COMMIT.
    const run = h.statements.transactionWith('INSERT INTO inbox_messages', events[0].id);
    expect(run).toHaveLength(8);
    expect(run[2]).toContain('credit_reservations');
    expect(run[3]).toContain('ledger_accounts');
    expect(run[4]).toContain('INSERT INTO ledger_transactions');
    expect(run[4]).toContain('UPDATE credit_reservations');
    expect(run[5]).toContain('SET debit_announced_at');
    expect(run[6]).toContain('INSERT INTO outbox_messages');
    const rows = await h.dataSource.query<Array<{ status: string }>>(
      'SELECT status FROM credit_reservations WHERE reference = ANY($1)',
      [holds.map((hold) => hold.reference)],
    );
    expect(rows.map((r) => r.status)).toEqual(holds.map(() => 'captured'));
    expect((await h.wallet(a)).balances[0]).toMatchObject({
      availableCents: 1600,
      reservedCents: 0,
    });
    expect((await h.wallet(b)).balances[0]).toMatchObject({
      availableCents: 1400,
      reservedCents: 0,
    });
    await h.invariantsHold();
  });
});
