import { randomUUID } from 'node:crypto';
import { migrate, TEST_ENV_KEYS } from '@rewards/testing';
import { Client } from 'pg';
import { walletDataSource } from '../src/db/data-source';

// The wallet app connects as its runtime role (svc_wallet). Whatever a bug or an intruder in the
// app does with that connection, the ledger stays append-only: Postgres refuses by grant, before
// any trigger, and the triggers themselves cannot be switched off.

function runtimeUrl(): string {
  const url = process.env[TEST_ENV_KEYS.serviceUrl('wallet')];
  if (!url) throw new Error('run with jest -c jest.int.config.js');
  return url;
}

describe('wallet ledger privileges', () => {
  let app: Client;

  beforeAll(async () => {
    await migrate(walletDataSource(runtimeUrl()));
    app = new Client({ connectionString: runtimeUrl() });
    await app.connect();
  });

  afterAll(async () => {
    await app?.end();
  });

  async function refused(sql: string): Promise<string> {
    await app.query('BEGIN');
    try {
      await app.query(sql);
      return 'allowed';
    } catch (err) {
      return (err as Error).message;
    } finally {
      await app.query('ROLLBACK');
    }
  }

  it('connects as the runtime role, which owns nothing', async () => {
    const { rows } = await app.query<{ user: string; owned: string }>(
      `SELECT current_user AS user,
              (SELECT count(*) FROM pg_class WHERE relowner = current_user::regrole) AS owned`,
    );
    expect(rows).toEqual([{ user: 'svc_wallet', owned: '0' }]);
  });

  it('may read and append to the ledger', async () => {
    const { rows } = await app.query<{ privilege: string }>(
      `SELECT DISTINCT privilege_type AS privilege FROM information_schema.role_table_grants
        WHERE grantee = current_user AND table_name IN ('ledger_postings', 'ledger_transactions')
        ORDER BY 1`,
    );
    expect(rows.map((r) => r.privilege)).toEqual(['INSERT', 'SELECT']);
  });

  it.each([
    ['UPDATE postings', 'UPDATE ledger_postings SET amount_cents = amount_cents + 1'],
    ['DELETE postings', 'DELETE FROM ledger_postings'],
    ['UPDATE transactions', "UPDATE ledger_transactions SET kind = 'x'"],
    ['DELETE transactions', 'DELETE FROM ledger_transactions'],
    ['TRUNCATE the ledger', 'TRUNCATE ledger_postings, ledger_transactions'],
  ])('is refused to %s by grant', async (_, sql) => {
    expect(await refused(sql)).toMatch(
      /^permission denied for table ledger_(postings|transactions)$/,
    );
  });

  it.each([
    ['DISABLE TRIGGER', 'ALTER TABLE ledger_postings DISABLE TRIGGER ledger_postings_append_only'],
    ['DISABLE TRIGGER ALL', 'ALTER TABLE ledger_transactions DISABLE TRIGGER ALL'],
    ['ALTER TABLE', 'ALTER TABLE ledger_postings ADD COLUMN note text'],
    ['DROP TRIGGER', 'DROP TRIGGER ledger_postings_balanced ON ledger_postings'],
    ['DROP TABLE', 'DROP TABLE ledger_postings'],
  ])('is refused to %s (owner only)', async (_, sql) => {
    expect(await refused(sql)).toMatch(/^must be owner of (table|relation) ledger_/);
  });

  /** Opens a student's credit account and the platform's expense account in the open transaction. */
  async function openAccounts(): Promise<{ user: string; platform: string }> {
    const user = randomUUID();
    await app.query(
      `INSERT INTO ledger_accounts (id, owner_id, kind, currency, created_at, balance_cents)
       VALUES ($1, $1, 'user_credit', 'USD', now(), 0)`,
      [user],
    );
    await app.query(
      `INSERT INTO ledger_accounts (id, owner_id, kind, currency, created_at, balance_cents)
       VALUES ($1, NULL, 'platform_rewards_expense', 'USD', now(), NULL)
       ON CONFLICT (owner_id, kind, currency) DO NOTHING`,
      [randomUUID()],
    );
    const [{ id: platform }] = (
      await app.query<{ id: string }>(
        `SELECT id FROM ledger_accounts WHERE owner_id IS NULL
            AND kind = 'platform_rewards_expense' AND currency = 'USD'`,
      )
    ).rows;
    return { user, platform };
  }

  async function post(legs: Array<[string, number]>): Promise<void> {
    const txId = randomUUID();
    await app.query(
      `INSERT INTO ledger_transactions (id, idempotency_key, kind, source_id, occurred_at, created_at)
       VALUES ($1, $2, 'reward_credit', 'privileges-test', now(), now())`,
      [txId, `privileges-test:${txId}`],
    );
    for (const [account, cents] of legs) {
      await app.query(
        `INSERT INTO ledger_postings (transaction_id, account_id, amount_cents, currency)
         VALUES ($1, $2, $3, 'USD')`,
        [txId, account, cents],
      );
    }
  }

  /** Runs `attempt` in a transaction that is rolled back; returns its error message. */
  async function refusedAfter(attempt: () => Promise<void>): Promise<string> {
    await app.query('BEGIN');
    try {
      await attempt();
      // The balance check is deferred to commit: bring it forward, still inside the transaction.
      await app.query('SET CONSTRAINTS ALL IMMEDIATE');
      return 'allowed';
    } catch (err) {
      return (err as Error).message;
    } finally {
      await app.query('ROLLBACK');
    }
  }

  it('moves a balance by a balanced posting, the one way the app has', async () => {
    await app.query('BEGIN');
    try {
      const { user, platform } = await openAccounts();
      await post([
        [user, 2000],
        [platform, -2000],
      ]);
      await app.query('SET CONSTRAINTS ALL IMMEDIATE');
      const { rows } = await app.query<{ balance: string }>(
        'SELECT balance_cents AS balance FROM ledger_accounts WHERE id = $1',
        [user],
      );
      expect(rows).toEqual([{ balance: '2000' }]);
    } finally {
      await app.query('ROLLBACK');
    }
  });

  it('is refused an unbalanced transaction', async () => {
    const message = await refusedAfter(async () => {
      const { user } = await openAccounts();
      await post([[user, 2000]]);
    });
    expect(message).toMatch(/does not balance/);
  });

  it('is refused a balance written by hand, up or down', async () => {
    for (const change of ['balance_cents + 100000', '0']) {
      const message = await refusedAfter(async () => {
        const { user, platform } = await openAccounts();
        await post([
          [user, 500],
          [platform, -500],
        ]);
        await app.query(`UPDATE ledger_accounts SET balance_cents = ${change} WHERE id = $1`, [
          user,
        ]);
      });
      expect(message).toMatch(/moves only by postings/);
    }
  });

  it('is refused an account that opens with money in it', async () => {
    const message = await refusedAfter(async () => {
      await app.query(
        `INSERT INTO ledger_accounts (id, owner_id, kind, currency, created_at, balance_cents)
         VALUES ($1, $1, 'user_credit', 'USD', now(), 5000)`,
        [randomUUID()],
      );
    });
    expect(message).toMatch(/must open with a zero balance/);
  });

  it("is refused moving an account's balance to another owner or kind", async () => {
    for (const change of ['owner_id = gen_random_uuid()', "kind = 'user_fee_rebate'"]) {
      const message = await refusedAfter(async () => {
        const { user } = await openAccounts();
        await app.query(`UPDATE ledger_accounts SET ${change} WHERE id = $1`, [user]);
      });
      expect(message).toMatch(/keeps its owner, kind and currency/);
    }
  });

  it.each([
    ['DELETE accounts', 'DELETE FROM ledger_accounts'],
    ['TRUNCATE accounts', 'TRUNCATE ledger_accounts CASCADE'],
  ])('is refused to %s by grant', async (_, sql) => {
    expect(await refused(sql)).toMatch(/^permission denied for table ledger_(accounts|postings)/);
  });

  it('cannot skip triggers through session_replication_role', async () => {
    expect(await refused('SET session_replication_role = replica')).toMatch(/permission denied/);
  });

  it('cannot create objects in its schema', async () => {
    expect(await refused('CREATE TABLE ledger_shadow (id int)')).toMatch(
      /permission denied for schema wallet/,
    );
  });

  it.each(['bookings', 'referrals', 'payouts'])('cannot touch the %s schema', async (schema) => {
    expect(await refused(`SELECT * FROM ${schema}.outbox_messages`)).toMatch(
      new RegExp(`permission denied for schema ${schema}`),
    );
    expect(await refused(`CREATE TABLE ${schema}.x (id int)`)).toMatch(
      new RegExp(`permission denied for schema ${schema}`),
    );
  });

  it("cannot take another service's leader lock", async () => {
    expect(
      await refused(
        `SELECT name FROM payouts.schema_locks WHERE name = '${randomUUID()}' FOR UPDATE`,
      ),
    ).toMatch(/permission denied for schema payouts/);
  });
});
