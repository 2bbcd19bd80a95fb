import { randomUUID } from 'node:crypto';
import { eventually } from '@rewards/testing';
import { EntityManager } from 'typeorm';
import { CreditLots, LotTake } from '../src/lots/credit-lots';
import { UNLOCKED_AT, unlocked, WalletHarness } from './wallet-harness';

/** Taking from a credit account's lots: which lots, in which order, and never more than held. */
describe(CreditLots.name, () => {
  const h = new WalletHarness();
  beforeAll(() => h.start([]));
  afterAll(() => h.stop());

  /** A user with three lots of credit (1000 soonest, 500 next, 2000 last), by reward id. */
  const userWithLots = async () => {
    const userId = randomUUID();
    const lots = { soonest: randomUUID(), next: randomUUID(), last: randomUUID() };
    const unlock = (rewardId: string, cents: number, expiresAt: string) =>
      h.send(
        unlocked(rewardId, userId, cents, 'student_referral_credit', {
          unlockedAt: UNLOCKED_AT,
          expiresAt,
        }),
      );
    await unlock(lots.last, 2000, '2026-12-01T00:00:00.000Z');
    await unlock(lots.soonest, 1000, '2026-05-01T00:00:00.000Z');
    await unlock(lots.next, 500, '2026-07-01T00:00:00.000Z');
    await eventually(async () => expect(await h.balance(userId)).toBe(3500));
    const rows = await h.dataSource.query<
      Array<{ reward_id: string; id: string; account_id: string; source_transaction_id: string }>
    >(
      'SELECT reward_id, id, account_id, source_transaction_id FROM credit_lots WHERE owner_id = $1',
      [userId],
    );
    const lotId = (rewardId: string) => rows.find((r) => r.reward_id === rewardId)?.id ?? '';
    return {
      accountId: rows[0].account_id,
      // Any ledger transaction will do as the taker: the test's transaction is rolled back.
      transactionId: rows[0].source_transaction_id,
      soonest: lotId(lots.soonest),
      next: lotId(lots.next),
      last: lotId(lots.last),
    };
  };

  /** Runs `work` in a transaction that is always rolled back, answering what it returned. */
  const rolledBack = async <T>(work: (tx: EntityManager) => Promise<T>): Promise<T> => {
    const runner = h.dataSource.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    try {
      return await work(runner.manager);
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
  };

  const remaining = (lotIds: string[]) =>
    h.dataSource.manager
      .query<Array<{ id: string; remaining_cents: string }>>(
        'SELECT id, remaining_cents FROM credit_lots WHERE id = ANY($1)',
        [lotIds],
      )
      .then((rows) => lotIds.map((id) => Number(rows.find((r) => r.id === id)?.remaining_cents)));

  it('takes the preferred lot first, then the soonest-expiring, each emptied before the next', async () => {
    const u = await userWithLots();
    const lots = h.get(CreditLots);
    const [takes, left] = await rolledBack(async (tx): Promise<[LotTake[], number[]]> => {
      const took = await lots.take(tx, u.accountId, u.transactionId, 2800, u.last);
      const rows = await tx.query<Array<{ lot_id: string; amount_cents: string }>>(
        'SELECT lot_id, amount_cents FROM credit_lot_uses WHERE transaction_id = $1',
        [u.transactionId],
      );
      const after = await tx.query<Array<{ id: string; remaining_cents: string }>>(
        'SELECT id, remaining_cents FROM credit_lots WHERE id = ANY($1)',
        [[u.soonest, u.next, u.last]],
      );
      expect(rows).toHaveLength(2);
      return [
        took,
        [u.soonest, u.next, u.last].map((id) =>
          Number(after.find((r) => r.id === id)?.remaining_cents),
        ),
      ];
    });
    expect(takes).toEqual([
      { lotId: u.last, amountCents: 2000 },
      { lotId: u.soonest, amountCents: 800 },
    ]);
    expect(left).toEqual([200, 500, 0]);
    // Without a preferred lot: soonest first, then the next, the last untouched.
    const plain = await rolledBack((tx) => lots.take(tx, u.accountId, u.transactionId, 1200));
    expect(plain).toEqual([
      { lotId: u.soonest, amountCents: 1000 },
      { lotId: u.next, amountCents: 200 },
    ]);
    expect(await remaining([u.soonest, u.next, u.last])).toEqual([1000, 500, 2000]);
  });

  it('refuses to take more than the lots hold', async () => {
    const u = await userWithLots();
    await expect(
      rolledBack((tx) => h.get(CreditLots).take(tx, u.accountId, u.transactionId, 3501)),
    ).rejects.toThrow('credit lots hold 3500 cents, 3501 to take');
    expect(await remaining([u.soonest, u.next, u.last])).toEqual([1000, 500, 2000]);
  });
});
