import { randomBytes } from 'node:crypto';
import { migrate, serviceTestEnv, testAdminUrl, testOwnerUrl } from '@rewards/testing';
import { DataSource } from 'typeorm';
import { walletDataSource } from '../src/db/data-source';
import { runInvariantCheck } from '../src/ledger/check-invariants';
import { writePastTheTriggers } from './rigged-ledger';

/**
 * The operator's check-invariants command, as `kubectl exec` or `npm run check-invariants` runs
 * it: its exit code and what it prints. The violation is committed in a schema of its own, so
 * the wallet schema other suites share stays sound.
 */
describe('check-invariants command', () => {
  const schema = `wallet_check_${randomBytes(4).toString('hex')}`;
  let ledger: DataSource;

  const run = async (env: Record<string, string | undefined>, argv: string[] = []) => {
    const lines: string[] = [];
    const errors: string[] = [];
    const code = await runInvariantCheck(env, argv, {
      log: (line) => lines.push(line),
      error: (line) => errors.push(line),
    });
    return { code, out: lines.join('\n'), err: errors.join('\n') };
  };
  const rigged = { DATABASE_URL: testAdminUrl(), DATABASE_SCHEMA: schema };

  beforeAll(async () => {
    await migrate(walletDataSource(testOwnerUrl('wallet')));
    ledger = walletDataSource(testAdminUrl(), schema);
    await ledger.initialize();
    await ledger.query(`CREATE SCHEMA ${schema}`);
    await ledger.runMigrations();
  });

  afterAll(async () => {
    await ledger.query(`DROP SCHEMA ${schema} CASCADE`);
    await ledger.destroy();
  });

  it('exits 0 with every check ok, reading the wallet service env as its pod has it', async () => {
    const { code, out, err } = await run(serviceTestEnv('wallet'));
    expect(err).toBe('');

    expect(out).toMatch(/^wallet ledger at .*: \d+ accounts/);
    expect(out).toContain('ledger invariants hold');
    expect(code).toBe(0);
  });

  it('exits 1 and names the transaction when a write past the triggers unbalanced the ledger', async () => {
    // Committed, in this spec's own schema.
    const { userId, txId } = await ledger.transaction((tx) => writePastTheTriggers(tx));

    const text = await run(rigged);
    const json = await run(rigged, ['--json']);

    expect(text.code).toBe(1);
    expect(text.out).toContain(`transaction ${txId} sums to -250 in USD`);
    expect(text.out).toContain(`account ${userId} of ${userId} holds -250 USD`);
    expect(text.out).toMatch(/ledger invariants VIOLATED: 3 of 5 checks failed$/);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out)).toMatchObject({
      ok: false,
      violations: { unbalancedTransactions: { count: 1 }, negativeUserAccounts: { count: 1 } },
    });
  });

  it('exits 2 with the reason when it cannot run: no database, or a stray argument', async () => {
    const missing = await run({});
    const stray = await run(rigged, ['--fix']);

    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/could not run: [\s\S]*DATABASE_URL \(missing\)/);
    expect(stray.code).toBe(2);
    expect(stray.err).toBe('usage: check-invariants [--json]');
  });
});
