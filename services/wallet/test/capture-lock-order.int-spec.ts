import { Logger } from '@nestjs/common';
import { eventually, serviceHeaders } from '@rewards/testing';
import request from 'supertest';
import { QueryRunner } from 'typeorm';
import { checkLedgerInvariants } from '../src/ledger/check-invariants';
import { CheckoutRequests, confirmedBooking, Hold } from './checkout-requests';
import { WalletHarness } from './wallet-harness';

/**
 * A hold is captured twice over: by bookings' HTTP call once the booking commits, and by the
 * consumer of booking-confirmed. Each locks the hold, then the accounts it moves; a run of
 * several events locks all its holds before any account. Taken hold by hold instead, a run that
 * moved one student's account waited for a hold that an HTTP capture (or another partition's
 * run) held while it waited for that account: Postgres broke the deadlock after a second by
 * failing one side, and the run was retried. These tests line the waits up so that order would
 * deadlock, and expect none.
 */
describe('capturing holds by HTTP and by booking-confirmed runs at once', () => {
  const h = new WalletHarness();
  const checkout = new CheckoutRequests(h);
  let warnings: jest.SpyInstance;
  beforeAll(() => h.start([]));
  afterAll(() => h.stop());
  beforeEach(() => {
    warnings = jest.spyOn(Logger.prototype, 'warn');
  });
  afterEach(() => warnings.mockRestore());

  const asBookings = () => serviceHeaders('bookings', 'wallet');

  const studentWithCredit = (cents: number) => h.studentWithCredit(cents);

  /** Holds the reservations' rows in a transaction of the test's own until released. */
  const blockHolds = async (holds: Hold[]): Promise<QueryRunner> => {
    const blocker = h.dataSource.createQueryRunner();
    await blocker.connect();
    await blocker.startTransaction();
    await blocker.query(
      'SELECT 1 FROM credit_reservations WHERE reference = ANY($1) ORDER BY reference FOR UPDATE',
      [holds.map((hold) => hold.reference)],
    );
    return blocker;
  };
  const release = async (blocker: QueryRunner) => {
    await blocker.commitTransaction();
    await blocker.release();
  };

  const captured = async (holds: Hold[]) => {
    const rows = await h.dataSource.query<Array<{ status: string }>>(
      'SELECT status FROM credit_reservations WHERE reference = ANY($1)',
      [holds.map((hold) => hold.reference)],
    );
    expect(rows.map((r) => r.status)).toEqual(holds.map(() => 'captured'));
  };

  /** What the wallet warned of that says a transaction was failed to break a deadlock. */
  const deadlocks = () =>
    warnings.mock.calls.filter((args: unknown[]) => JSON.stringify(args).includes('deadlock'));

  it('captures a hold by HTTP while a run that already moved the same student waits for it', async () => {
    const student = await studentWithCredit(2000);
    const [first, second] = [
      await checkout.holdFor(student, 500),
      await checkout.holdFor(student, 700),
    ];
    const blocker = await blockHolds([second]);
    let http: Promise<request.Response>;
    try {
      // The HTTP capture queues first for the second hold; then one run of both events: the
      // first moves the student's reserved account, the second queues behind the HTTP capture.
      http = request(h.url)
        .post('/internal/reservations/capture')
        .set(asBookings())
        .send({ references: [second.reference] })
        .then((res) => res);
      await h.lockWaitersReach(1);
      await h.sendTogether([confirmedBooking(first), confirmedBooking(second)], 0);
      await h.lockWaitersReach(2);
    } finally {
      await release(blocker);
    }
    expect((await http).status).toBe(200);
    await eventually(() => captured([first, second]));
    expect(deadlocks()).toEqual([]);
    expect((await h.wallet(student)).balances[0]).toMatchObject({
      availableCents: 800,
      reservedCents: 0,
    });
    expect((await checkLedgerInvariants(h.dataSource, new Date())).ok).toBe(true);
  });

  it('applies two partitions’ runs that capture holds of the same two students in crossed order', async () => {
    const [a, b] = [await studentWithCredit(2000), await studentWithCredit(2000)];
    const runs = [
      [await checkout.holdFor(a, 300), await checkout.holdFor(b, 400)],
      [await checkout.holdFor(b, 500), await checkout.holdFor(a, 600)],
    ];
    // Each run's second hold is held back until both runs wait for it, holding back nothing of
    // the other's: one run has then moved a, the other b, if they lock hold by hold.
    const blocker = await blockHolds(runs.map((run) => run[1]));
    try {
      await h.sendTogether(runs[0].map(confirmedBooking), 0);
      await h.sendTogether(runs[1].map(confirmedBooking), 1);
      await h.lockWaitersReach(2);
    } finally {
      await release(blocker);
    }
    await eventually(() => captured(runs.flat()));
    expect(deadlocks()).toEqual([]);
    expect((await h.wallet(a)).balances[0]).toMatchObject({ availableCents: 1100 });
    expect((await h.wallet(b)).balances[0]).toMatchObject({ availableCents: 1100 });
    expect((await checkLedgerInvariants(h.dataSource, new Date())).ok).toBe(true);
  });
});
