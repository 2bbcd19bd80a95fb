import { randomUUID } from 'node:crypto';
import {
  createEnvelope,
  EventEnvelope,
  RewardUnlockedV1,
  RewardVoidedV1,
  Topics,
} from '@rewards/contracts';
import {
  callerHeaders,
  errorOf,
  eventually,
  forgedCallerHeaders,
  testAdminUrl,
  testOwnerUrl,
} from '@rewards/testing';
import { Client } from 'pg';
import { EntityManager } from 'typeorm';
import request from 'supertest';
import { walletDataSource } from '../src/db/data-source';
import { checkLedgerInvariants, inspectLedger } from '../src/ledger/check-invariants';
import { PostTransaction } from '../src/ledger/post-transaction';
import { CreditExpiryJob } from '../src/lots/credit-expiry.job';
import { RewardUnlockedConsumer } from '../src/rewards/reward-unlocked.consumer';
import { RewardVoidedConsumer } from '../src/rewards/reward-voided.consumer';
import { WalletError } from '../src/wallet-error';
import { writePastTheTriggers } from './rigged-ledger';
import { settle, UNLOCKED_AT, unlocked, voided, WalletHarness } from './wallet-harness';

describe('wallet service', () => {
  const h = new WalletHarness();
  const balance = (userId: string) => h.balance(userId);
  const credited = (userId: string, cents: number) =>
    eventually(async () => expect(await balance(userId)).toBe(cents));

  beforeAll(() =>
    h.start([
      Topics.WalletCredited,
      Topics.WalletDebited,
      Topics.CreditExpiring,
      Topics.CreditExpired,
      'reward-unlocked.dlq',
    ]),
  );
  const ofOwner = (topic: string, ownerId: string) =>
    h.find(topic, (v) => (v as { payload?: { ownerId?: string } }).payload?.ownerId === ownerId);
  const lotOf = async (rewardId: string) => {
    const [lot] = await h.dataSource.query(
      'SELECT id, amount_cents, remaining_cents, expires_at FROM credit_lots WHERE reward_id = $1',
      [rewardId],
    );
    return lot as { id: string; amount_cents: string; remaining_cents: string; expires_at: Date };
  };
  afterAll(() => h.stop());

  it('credits an unlocked reward, shows it on GET /wallet/me and publishes wallet-credited once', async () => {
    const [rewardId, userId] = [randomUUID(), randomUUID()];
    await h.send(unlocked(rewardId, userId, 2000));
    await credited(userId, 2000);
    expect(await h.wallet(userId)).toEqual({
      ownerId: userId,
      balances: [
        {
          currency: 'USD',
          availableCents: 2000,
          pendingCents: 0,
          debtCents: 0,
          reservedCents: 0,
          feeRebateCents: 0,
          expiringSoon: [],
        },
      ],
    });
    const body = await h.history(userId);
    expect(body.entries).toEqual([
      expect.objectContaining({
        kind: 'reward_credit',
        reason: 'Referral reward unlocked',
        rewardId,
        account: 'credit',
        amount: { amountCents: 2000, currency: 'USD' },
        occurredAt: UNLOCKED_AT,
      }),
    ]);
    const [message] = await eventually(() => {
      const found = h.published(Topics.WalletCredited, rewardId);
      expect(found).toHaveLength(1);
      return found;
    });
    expect(message.key).toBe(userId);
    expect(JSON.parse(message.value)).toMatchObject({
      producer: 'wallet',
      payload: {
        ownerId: userId,
        transactionId: body.entries[0].transactionId,
        amount: { amountCents: 2000 },
      },
    });
    await settle();
    expect(h.published(Topics.WalletCredited, rewardId)).toHaveLength(1);
  });

  it('applies a redelivered message (same envelope id) once', async () => {
    const [rewardId, userId] = [randomUUID(), randomUUID()];
    const event = unlocked(rewardId, userId, 2000);
    await h.send(event);
    await credited(userId, 2000);
    await h.send(event);
    // A later message on the same partition: once it is applied, the duplicate was handled.
    const sentinel = unlocked(randomUUID(), userId, 1);
    await h.send(sentinel, rewardId);
    await credited(userId, 2001);
    await settle();
    expect(h.published(Topics.WalletCredited, rewardId)).toHaveLength(1);
  });

  it('credits a replayed reward (new message id) once, by its idempotency key', async () => {
    const [rewardId, userId] = [randomUUID(), randomUUID()];
    await h.send(unlocked(rewardId, userId, 2000));
    await credited(userId, 2000);
    const replay = unlocked(rewardId, userId, 2000);
    await h.send(replay);
    await eventually(() => h.consumed(replay.id));
    expect(await balance(userId)).toBe(2000);
    await settle();
    expect(h.published(Topics.WalletCredited, rewardId)).toHaveLength(1);
  });

  it('takes back a voided reward once and publishes wallet-debited', async () => {
    const [rewardId, userId] = [randomUUID(), randomUUID()];
    await h.send(unlocked(rewardId, userId, 2000));
    await credited(userId, 2000);
    await h.send(voided(rewardId, userId));
    const replay = voided(rewardId, userId);
    await h.send(replay);
    await eventually(() => h.consumed(replay.id));
    expect(await balance(userId)).toBe(0);
    expect((await h.history(userId)).entries[0]).toMatchObject({
      kind: 'reward_void',
      rewardId,
      amount: { amountCents: -2000, currency: 'USD' },
    });
    const [debit] = await eventually(() => {
      const found = h.published(Topics.WalletDebited, rewardId);
      expect(found).toHaveLength(1);
      return found;
    });
    expect(JSON.parse(debit.value).payload).toMatchObject({
      ownerId: userId,
      amount: { amountCents: 2000 },
    });
  });

  it('takes back only what is left of a partly spent reward and notes the shortfall', async () => {
    const [rewardId, userId] = [randomUUID(), randomUUID()];
    await h.send(unlocked(rewardId, userId, 2000));
    await credited(userId, 2000);
    await h.spend(userId, 1500);
    await h.send(voided(rewardId, userId));
    await eventually(() => expect(h.published(Topics.WalletDebited, rewardId)).toHaveLength(1));
    expect(
      JSON.parse(h.published(Topics.WalletDebited, rewardId)[0].value).payload.amount.amountCents,
    ).toBe(500);
    expect(await balance(userId)).toBe(0);
    const [row] = await h.dataSource.query(
      `SELECT note FROM ledger_transactions WHERE idempotency_key = $1`,
      [`reward-voided:${rewardId}`],
    );
    expect(row.note).toBe('reward voided (REFUNDED); 1500 USD already spent, now owed');
    expect(await h.debt(userId)).toBe(1500);
  });

  it('turns a clawback of spent credit into a debt that the next credit pays back first', async () => {
    const [first, second, userId] = [randomUUID(), randomUUID(), randomUUID()];
    await h.send(unlocked(first, userId, 2000));
    await credited(userId, 2000);
    await h.spend(userId, 1500);
    await h.send(voided(first, userId));
    await eventually(async () => expect(await h.debt(userId)).toBe(1500));
    expect(await balance(userId)).toBe(0);

    await h.send(unlocked(second, userId, 2000));
    await eventually(async () => expect(await h.debt(userId)).toBe(0));
    expect(await balance(userId)).toBe(500);
    const [settled] = await eventually(() => {
      const found = h.published(Topics.WalletDebited, second);
      expect(found).toHaveLength(1);
      return found;
    });
    expect(JSON.parse(settled.value).payload.amount.amountCents).toBe(1500);
    expect(h.published(Topics.WalletCredited, second)).toHaveLength(1);
  });

  it('credits nothing when the void arrives before the unlock, and leaves a tombstone', async () => {
    const [rewardId, userId] = [randomUUID(), randomUUID()];
    const voidFirst = voided(rewardId, userId);
    await h.send(voidFirst);
    await eventually(() => h.consumed(voidFirst.id));
    const unlock = unlocked(rewardId, userId, 2000);
    await h.send(unlock);
    await eventually(() => h.consumed(unlock.id));
    expect(await balance(userId)).toBe(0);
    const [reward] = await h.dataSource.query(
      'SELECT status, void_reason FROM wallet_rewards WHERE reward_id = $1',
      [rewardId],
    );
    expect(reward).toEqual({ status: 'voided', void_reason: 'REFUNDED' });
    await settle();
    expect(h.published(Topics.WalletCredited, rewardId)).toHaveLength(0);
  });

  it.each([
    ['the unlock', 'the void'],
    ['the void', 'the unlock'],
  ])(
    'leaves nothing credited when %s and %s of one reward run in two transactions at once',
    async (first) => {
      const [rewardId, userId] = [randomUUID(), randomUUID()];
      const unlock = (tx: EntityManager) =>
        h
          .get(RewardUnlockedConsumer)
          .handle(unlocked(rewardId, userId, 2000) as EventEnvelope<RewardUnlockedV1>, tx);
      const cancel = (tx: EntityManager) =>
        h
          .get(RewardVoidedConsumer)
          .handle(voided(rewardId, userId) as EventEnvelope<RewardVoidedV1>, tx);
      const [a, b] = first === 'the unlock' ? [unlock, cancel] : [cancel, unlock];
      const { secondFinishedFirst } = await h.interleave(a, b);
      // The second waited for the first to commit: they were serialised by the reward's lock.
      expect(secondFinishedFirst).toBe(false);
      expect(await balance(userId)).toBe(0);
      expect(await h.debt(userId)).toBe(0);
      const [reward] = await h.dataSource.query(
        'SELECT status FROM wallet_rewards WHERE reward_id = $1',
        [rewardId],
      );
      expect(reward.status).toBe('voided');
    },
  );

  it('does nothing for a void of a reward that was never credited', async () => {
    const [rewardId, userId] = [randomUUID(), randomUUID()];
    const event = voided(rewardId, userId);
    await h.send(event);
    await eventually(() => h.consumed(event.id));
    const rows = await h.dataSource.query(
      'SELECT 1 FROM ledger_transactions WHERE source_id = $1',
      [rewardId],
    );
    expect(rows).toHaveLength(0);
    expect(await h.wallet(userId)).toEqual({ ownerId: userId, balances: [] });
    expect(await h.history(userId)).toEqual({ entries: [], nextCursor: null });
  });

  it('funds a fee rebate from its own expense account and never credits a cash bonus', async () => {
    const [rebateId, bonusId, userId] = [randomUUID(), randomUUID(), randomUUID()];
    const bonus = unlocked(bonusId, userId, 7500, 'instructor_referral_bonus');
    await h.send(bonus);
    await h.send(unlocked(rebateId, userId, 5000, 'fee_rebate'));
    // A rebate is the instructor's fee-rebate balance, not spendable credit.
    await eventually(async () =>
      expect((await h.wallet(userId)).balances[0]).toMatchObject({
        availableCents: 0,
        feeRebateCents: 5000,
      }),
    );
    await eventually(() => h.consumed(bonus.id));
    const funding = await h.dataSource.query(
      `SELECT a.kind, p.amount_cents FROM ledger_postings p
         JOIN ledger_accounts a ON a.id = p.account_id
         JOIN ledger_transactions t ON t.id = p.transaction_id
        WHERE t.source_id = $1 AND a.owner_id IS NULL`,
      [rebateId],
    );
    expect(funding).toEqual([{ kind: 'platform_fee_rebate_expense', amount_cents: '-5000' }]);
    expect(await balance(userId)).toBe(0);
  });

  it('keeps each user balance in its row and refuses, in the database, to store one below zero', async () => {
    const [rewardId, userId] = [randomUUID(), randomUUID()];
    await h.send(unlocked(rewardId, userId, 900));
    await credited(userId, 900);
    const [row] = await h.dataSource.query(
      `SELECT balance_cents FROM ledger_accounts WHERE owner_id = $1 AND kind = 'user_credit'`,
      [userId],
    );
    expect(row.balance_cents).toBe('900');
    const own = new Client({ connectionString: h.config.DATABASE_URL });
    await own.connect();
    try {
      // A posting written past the use case (balanced, so only the balance row can refuse it).
      await own.query('BEGIN');
      const txId = randomUUID();
      await own.query(
        `INSERT INTO ledger_transactions (id, idempotency_key, kind, source_id, occurred_at, created_at)
         VALUES ($1, $2, 'reward_void', 'test', now(), now())`,
        [txId, `test-overdraw:${txId}`],
      );
      await expect(
        own.query(
          `INSERT INTO ledger_postings (transaction_id, account_id, amount_cents, currency)
           SELECT $1, id, -1000, currency FROM ledger_accounts
            WHERE owner_id = $2 AND kind = 'user_credit'`,
          [txId, userId],
        ),
      ).rejects.toThrow(/ledger_accounts_credit_not_negative/);
      await own.query('ROLLBACK');
    } finally {
      await own.end();
    }
    expect(await balance(userId)).toBe(900);
  });

  it('refuses to take a balance below zero with INSUFFICIENT_CREDIT, also when debits race', async () => {
    const [rewardId, userId] = [randomUUID(), randomUUID()];
    await h.send(unlocked(rewardId, userId, 2000));
    await credited(userId, 2000);
    const results = await Promise.allSettled([h.spend(userId, 1500), h.spend(userId, 1500)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const [refused] = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused.reason).toBeInstanceOf(WalletError);
    expect(refused.reason.code).toBe('INSUFFICIENT_CREDIT');
    expect(await balance(userId)).toBe(500);
  });

  it('writes a posting once per reference: a replay changes nothing and returns the first result', async () => {
    const [rewardId, userId] = [randomUUID(), randomUUID()];
    await h.send(unlocked(rewardId, userId, 2000));
    await credited(userId, 2000);
    const reference = `checkout:${randomUUID()}`;
    const first = await h.spend(userId, 500, reference);
    const replays = await Promise.all([
      h.spend(userId, 500, reference),
      h.spend(userId, 500, reference),
    ]);
    expect(first.created).toBe(true);
    for (const replay of replays) {
      expect(replay).toMatchObject({ created: false, transaction: { id: first.transaction.id } });
      expect(replay.postings.map((p) => p.id)).toEqual(first.postings.map((p) => p.id));
    }
    expect(await balance(userId)).toBe(1500);
    await expect(
      h.dataSource.transaction((tx) =>
        h.get(PostTransaction).execute(tx, {
          idempotencyKey: reference,
          kind: 'reward_credit',
          sourceId: 'another-cause',
          occurredAt: new Date(),
          legs: [],
          note: 'reuses a reference',
        }),
      ),
    ).rejects.toMatchObject({ code: 'REFERENCE_REUSED' });
  });

  it('dead-letters a malformed reward-unlocked and still applies the next one', async () => {
    const [rewardId, userId] = [randomUUID(), randomUUID()];
    const bad = unlocked(rewardId, userId, 2000) as EventEnvelope<Record<string, unknown>>;
    bad.payload = { ...bad.payload, beneficiaryId: 'not-a-uuid' };
    await h.send(bad);
    await h.send(unlocked(rewardId, userId, 2000));
    await credited(userId, 2000);
    const dead = await eventually(() => {
      const found = h.find('reward-unlocked.dlq', (v) => v.id === bad.id);
      expect(found).toHaveLength(1);
      return found[0];
    });
    expect(dead.headers['dlq-reason']).toContain('beneficiaryId');
  });

  it('refuses UPDATE, DELETE and TRUNCATE of the ledger, even to the owning role', async () => {
    const [rewardId, userId] = [randomUUID(), randomUUID()];
    await h.send(unlocked(rewardId, userId, 700));
    await credited(userId, 700);
    // The app's runtime role is refused by grant (ledger-privileges.int-spec.ts); the triggers
    // stop the schema's owner too.
    const own = new Client({ connectionString: testOwnerUrl('wallet') });
    await own.connect();
    try {
      const sql = [
        `UPDATE ledger_postings SET amount_cents = 1 WHERE transaction_id IN
           (SELECT id FROM ledger_transactions WHERE source_id = '${rewardId}')`,
        `DELETE FROM ledger_postings WHERE transaction_id IN
           (SELECT id FROM ledger_transactions WHERE source_id = '${rewardId}')`,
        `UPDATE ledger_transactions SET note = 'edited' WHERE source_id = '${rewardId}'`,
        `DELETE FROM ledger_transactions WHERE source_id = '${rewardId}'`,
        'TRUNCATE ledger_postings, ledger_transactions CASCADE',
      ];
      for (const statement of sql) {
        await expect(own.query(statement)).rejects.toThrow(/is append-only/);
      }
    } finally {
      await own.end();
    }
    expect(await balance(userId)).toBe(700);
  });

  it('refuses an unbalanced transaction when it commits', async () => {
    const [rewardId, userId] = [randomUUID(), randomUUID()];
    await h.send(unlocked(rewardId, userId, 300));
    await credited(userId, 300);
    const own = new Client({ connectionString: h.config.DATABASE_URL });
    await own.connect();
    const id = randomUUID();
    try {
      await own.query('BEGIN');
      await own.query(
        `INSERT INTO ledger_transactions (id, idempotency_key, kind, source_id, occurred_at, created_at)
         VALUES ($1, $2, 'reward_credit', 'test', now(), now())`,
        [id, `test-unbalanced:${id}`],
      );
      // Accepted for now: the balance is only checked at commit, once every leg is in.
      await own.query(
        `INSERT INTO ledger_postings (transaction_id, account_id, amount_cents, currency)
         SELECT $1, id, 100, currency FROM ledger_accounts WHERE owner_id = $2`,
        [id, userId],
      );
      await expect(own.query('COMMIT')).rejects.toThrow(/does not balance/);
    } finally {
      await own.end();
    }
    const rows = await h.dataSource.query('SELECT 1 FROM ledger_transactions WHERE id = $1', [id]);
    expect(rows).toHaveLength(0);
    expect(await balance(userId)).toBe(300);
  });

  it('shows pending, available, debt and credit expiring soon with its date on GET /wallet/me', async () => {
    const [held, spentThenVoided, expiringSoon, userId] = [1, 2, 3, 4].map(() => randomUUID());
    const earned = createEnvelope({
      type: Topics.RewardEarned,
      version: 1,
      producer: 'referrals',
      key: held,
      occurredAt: new Date(UNLOCKED_AT),
      payload: {
        rewardId: held,
        beneficiaryId: userId,
        kind: 'student_referral_credit',
        amount: { amountCents: 2000, currency: 'USD' },
        earnedAt: UNLOCKED_AT,
      },
    });
    await h.send(earned);
    await h.send(unlocked(spentThenVoided, userId, 1000));
    await credited(userId, 1000);
    await h.spend(userId, 1000);
    await h.send(voided(spentThenVoided, userId));
    await eventually(async () => expect(await h.debt(userId)).toBe(1000));
    const soon = new Date(h.clock.now().getTime() + 10 * 24 * 3600 * 1000).toISOString();
    await h.send(
      unlocked(expiringSoon, userId, 1500, 'student_referral_credit', {
        unlockedAt: UNLOCKED_AT,
        expiresAt: soon,
      }),
    );
    await eventually(() => h.consumed(earned.id));
    // The new credit paid the debt back first: 500 left, expiring in 10 days.
    await credited(userId, 500);
    const { balances } = await h.wallet(userId);
    expect(balances).toEqual([
      {
        currency: 'USD',
        availableCents: 500,
        pendingCents: 2000,
        debtCents: 0,
        reservedCents: 0,
        feeRebateCents: 0,
        expiringSoon: [
          { creditId: (await lotOf(expiringSoon)).id, amountCents: 500, expiresAt: soon },
        ],
      },
    ]);
  });

  it('pages the history with a cursor, each entry with its reason and reward id', async () => {
    const userId = randomUUID();
    const rewards = [randomUUID(), randomUUID(), randomUUID()];
    for (const rewardId of rewards) await h.send(unlocked(rewardId, userId, 100));
    await credited(userId, 300);
    await h.spend(userId, 50);
    const first = await h.history(userId, { limit: '2' });
    expect(first.entries).toHaveLength(2);
    expect(first.entries[0]).toMatchObject({
      kind: 'credit_spend',
      reason: 'Spent at checkout',
      rewardId: null,
      amount: { amountCents: -50 },
    });
    expect(first.nextCursor).not.toBeNull();
    const second = await h.history(userId, { limit: '2', cursor: String(first.nextCursor) });
    expect(second.nextCursor).toBeNull();
    const all = [...first.entries, ...second.entries];
    expect(all).toHaveLength(4);
    expect(new Set(all.map((e) => e.id)).size).toBe(4);
    expect(
      all
        .filter((e) => e.kind === 'reward_credit')
        .map((e) => e.rewardId)
        .sort(),
    ).toEqual([...rewards].sort());
    // Another user sees none of it: the owner is always the caller.
    expect(await h.history(randomUUID())).toEqual({ entries: [], nextCursor: null });
  });

  it.each([
    ['limit', '0'],
    ['limit', '101'],
    ['cursor', 'abc'],
    ['owner', 'someone-else'],
  ])('refuses history with %s=%s: 422 VALIDATION_FAILED naming the field', async (field, value) => {
    const res = await request(h.url)
      .get('/wallet/me/history')
      .query({ [field]: value })
      .set(callerHeaders('wallet', randomUUID(), 'student'))
      .expect(422);
    expect(errorOf(res)).toMatchObject({ code: 'VALIDATION_FAILED', field });
  });

  it('refuses GET /wallet/me without a caller', async () => {
    const res = await request(h.url).get('/wallet/me').expect(401);
    expect(errorOf(res).code).toBe('UNAUTHENTICATED');
  });

  it('makes each credit a lot expiring on its own date and spends the soonest-expiring first', async () => {
    const [later, sooner, userId] = [randomUUID(), randomUUID(), randomUUID()];
    const dates = (expiresAt: string) => ({ unlockedAt: UNLOCKED_AT, expiresAt });
    await h.send(
      unlocked(later, userId, 2000, 'student_referral_credit', dates('2026-12-01T00:00:00.000Z')),
    );
    await h.send(
      unlocked(sooner, userId, 1000, 'student_referral_credit', dates('2026-06-01T00:00:00.000Z')),
    );
    await credited(userId, 3000);
    await h.spend(userId, 1500);
    expect(await lotOf(sooner)).toMatchObject({ remaining_cents: '0' });
    expect(await lotOf(later)).toMatchObject({
      remaining_cents: '1500',
      expires_at: new Date('2026-12-01T00:00:00.000Z'),
    });
  });

  it('refuses to spend a non-positive or fractional amount with INVALID_AMOUNT', async () => {
    for (const amount of [0, -5, 2.5]) {
      await expect(h.spend(randomUUID(), amount)).rejects.toMatchObject({ code: 'INVALID_AMOUNT' });
    }
  });

  it('sends the 14- and 3-day reminders and expires unspent credit, each once, as the clock moves', async () => {
    const [rewardId, userId] = [randomUUID(), randomUUID()];
    const dates = { unlockedAt: '2030-01-01T00:00:00.000Z', expiresAt: '2030-07-01T00:00:00.000Z' };
    await h.send(unlocked(rewardId, userId, 2000, 'student_referral_credit', dates));
    await credited(userId, 2000);
    await h.spend(userId, 500);
    const lot = await lotOf(rewardId);
    const job = h.get(CreditExpiryJob);
    const twice = async () => {
      await job.runOnce();
      await job.runOnce();
    };

    h.clock.set(new Date('2030-06-17T00:00:00.000Z'));
    await twice();
    const [first] = await eventually(() => {
      const found = ofOwner(Topics.CreditExpiring, userId);
      expect(found).toHaveLength(1);
      return found;
    });
    expect(JSON.parse(first.value).payload).toEqual({
      creditId: lot.id,
      ownerId: userId,
      amount: { amountCents: 1500, currency: 'USD' },
      daysLeft: 14,
      expiresAt: dates.expiresAt,
    });

    h.clock.set(new Date('2030-06-28T00:00:00.000Z'));
    await twice();
    await eventually(() => expect(ofOwner(Topics.CreditExpiring, userId)).toHaveLength(2));
    expect(JSON.parse(ofOwner(Topics.CreditExpiring, userId)[1].value).payload.daysLeft).toBe(3);
    expect(await balance(userId)).toBe(1500);

    h.clock.set(new Date('2030-07-01T00:00:01.000Z'));
    await twice();
    expect(await balance(userId)).toBe(0);
    const [expired] = await eventually(() => {
      const found = ofOwner(Topics.CreditExpired, userId);
      expect(found).toHaveLength(1);
      return found;
    });
    expect(JSON.parse(expired.value).payload).toEqual({
      creditId: lot.id,
      ownerId: userId,
      amount: { amountCents: 1500, currency: 'USD' },
      expiredAt: dates.expiresAt,
    });
    const funding = await h.dataSource.query(
      `SELECT a.kind, p.amount_cents FROM ledger_postings p
         JOIN ledger_accounts a ON a.id = p.account_id
         JOIN ledger_transactions t ON t.id = p.transaction_id
        WHERE t.kind = 'credit_expiry' AND t.source_id = $1 AND a.owner_id IS NULL`,
      [rewardId],
    );
    expect(funding).toEqual([{ kind: 'platform_expired_credit', amount_cents: '1500' }]);
    await settle();
    expect(ofOwner(Topics.CreditExpiring, userId)).toHaveLength(2);
    expect(ofOwner(Topics.CreditExpired, userId)).toHaveLength(1);
  });

  it('runs an expiry tick on one replica at a time', async () => {
    const other = new Client({ connectionString: h.config.DATABASE_URL });
    await other.connect();
    try {
      // Another replica in the middle of its tick holds the lock.
      // As every replica does (ensureSchemaLockRow): the row committed first, then locked.
      await other.query(
        "INSERT INTO schema_locks (name) VALUES ('wallet:credit-expiry') ON CONFLICT DO NOTHING",
      );
      await other.query('BEGIN');
      await other.query(
        "SELECT name FROM schema_locks WHERE name = 'wallet:credit-expiry' FOR UPDATE",
      );
      expect(await h.get(CreditExpiryJob).runOnce()).toEqual({
        ran: false,
        expired: 0,
        reminded: 0,
      });
      await other.query('COMMIT');
      expect((await h.get(CreditExpiryJob).runOnce()).ran).toBe(true);
    } finally {
      await other.end();
    }
  });

  it('finds no invariant violation in the ledger the tests left behind', async () => {
    const report = await checkLedgerInvariants(h.dataSource, new Date());
    expect(report).toMatchObject({
      ok: true,
      violations: {
        unbalancedTransactions: { count: 0 },
        negativeUserAccounts: { count: 0 },
        balanceMismatches: { count: 0 },
        lotMismatches: { count: 0 },
      },
    });
    expect(report.totals.postings).toBeGreaterThan(0);
  });

  it('reports an unbalanced transaction and a negative balance written past the triggers', async () => {
    const admin = walletDataSource(testAdminUrl());
    await admin.initialize();
    const runner = admin.createQueryRunner();
    try {
      await runner.startTransaction();
      // Rolled back below.
      const { userId, txId } = await writePastTheTriggers(runner);
      const report = await inspectLedger(runner.manager, new Date());
      expect(report.ok).toBe(false);
      expect(report.violations.unbalancedTransactions.first).toContainEqual(
        expect.objectContaining({ transactionId: txId, sumCents: '-250' }),
      );
      expect(report.violations.negativeUserAccounts.first).toContainEqual(
        expect.objectContaining({ ownerId: userId, balanceCents: '-250' }),
      );
      // The balance trigger was off too: the stored balance no longer matches the postings.
      expect(report.violations.balanceMismatches.first).toContainEqual({
        accountId: userId,
        storedCents: '0',
        postedCents: '-250',
      });
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
      await admin.destroy();
    }
  });

  it('refuses forged identity headers: 401', async () => {
    const res = await request(h.url)
      .get('/wallet/me')
      .set(forgedCallerHeaders(randomUUID(), 'student'))
      .expect(401);
    expect(errorOf(res).code).toBe('UNAUTHENTICATED');
  });
});
