import { randomUUID } from 'node:crypto';
import { isTransientInfrastructureError, loadConfig, ManualClock } from '@rewards/service-kit';
import { migrate, RunningServiceApp, serviceTestEnv, startServiceApp } from '@rewards/testing';
import { Client } from 'pg';
import { DataSource, DataSourceOptions } from 'typeorm';
import { AppModule } from '../src/app.module';
import { ReferralsConfig } from '../src/config/referrals.config';
import { referralsDataSource } from '../src/db/data-source';
import { lockReferee } from '../src/instructor-program/lock-referee';
import { mapReferralsError } from '../src/referrals-error';
import { GrantFeeRebate } from '../src/fee-rebate/grant-fee-rebate.usecase';
import { DecideStudentReward } from '../src/student-program/decide-student-reward.usecase';
import { StudentReward } from '../src/student-program/student-reward.entity';
import { UnlockDueRewardsJob } from '../src/student-program/unlock-due-rewards.job';

/** Caps, velocity, the unlock tick and the fee rebate, against real Postgres under concurrency. */
describe(DecideStudentReward.name, () => {
  const clock = new ManualClock(new Date('2026-12-01T12:00:00Z'));
  const config = loadConfig(
    ReferralsConfig,
    serviceTestEnv('referrals', { REWARD_UNLOCK_INTERVAL_MS: '3600000' }),
  );
  let service: RunningServiceApp;
  let db: DataSource;
  let decide: DecideStudentReward;
  let saved: Array<{ key: string; value: unknown }>;
  const phase = `cap-test-${Date.now()}`;

  const setConfig = (key: string, value: unknown) =>
    db.query('UPDATE program_config SET value = $2 WHERE key = $1', [key, JSON.stringify(value)]);

  beforeAll(async () => {
    await migrate(referralsDataSource(config.DATABASE_URL));
    service = await startServiceApp(AppModule.forRoot(config, { clock }), mapReferralsError);
    db = service.app.get(DataSource);
    decide = service.app.get(DecideStudentReward);
    saved = await db.query(
      `SELECT key, value FROM program_config
        WHERE key IN ('student_program_phase', 'student_phase_caps', 'student_velocity_limits')`,
    );
    await setConfig('student_program_phase', phase);
    await setConfig('student_phase_caps', { preview: 50, beta: 200, [phase]: 200 });
  });

  afterAll(async () => {
    for (const row of saved ?? []) await setConfig(row.key, row.value);
    await db
      ?.query(
        `UPDATE program_config SET value = jsonb_set(value, '{enabled}', 'false')
          WHERE key = 'instructor_fee_rebate'`,
      )
      .catch(() => undefined);
    await service?.close();
  });

  /** A verified referee attributed to `referrerId`, with a completed $80 lesson. */
  const seedReferee = async (referrerId: string): Promise<string> => {
    const refereeId = randomUUID();
    const at = clock.now();
    await db.query(
      `INSERT INTO attributions (referee_id, referrer_id, code, program, outcome, decided_at)
       VALUES ($1, $2, 'SEEDED', 'student', 'attributed', $3)`,
      [refereeId, referrerId, at],
    );
    await db.query(
      `INSERT INTO referral_users (user_id, role, registered_at, email_verified, phone_verified)
       VALUES ($1, 'student', $2, true, true)`,
      [refereeId, at],
    );
    await db.query(
      `INSERT INTO student_lessons (booking_id, student_id, instructor_id, price_cents, starts_at,
         completed_at) VALUES ($1, $2, $3, 8000, $4, $5)`,
      [randomUUID(), refereeId, randomUUID(), new Date(at.getTime() - 3600_000), at],
    );
    return refereeId;
  };

  const decideNow = (refereeId: string) =>
    db.transaction(async (tx) => {
      await lockReferee(tx, refereeId);
      return decide.execute(tx, refereeId, clock.now());
    });

  it('grants exactly 200 of 500 concurrent qualifying completions against a cap of 200', async () => {
    const referees: string[] = [];
    for (let i = 0; i < 500; i++) referees.push(await seedReferee(randomUUID()));
    // Its own pool of 32 connections, so 32 decisions contend for the cap at every moment (the
    // app's pool of 10 would mostly queue them before they reach Postgres).
    const wide = new DataSource({
      ...db.options,
      poolSize: 32,
      // 500 transactions queue for 32 connections on a loaded machine: wait, do not fail.
      extra: { ...(db.options.extra as object), connectionTimeoutMillis: 120_000 },
    } as DataSourceOptions);
    await wide.initialize();
    let decided: Array<StudentReward | undefined>;
    try {
      // As the consumer does: a lock timeout (500 decisions queue on one counter row, longer on
      // a loaded machine) is an infrastructure failure, retried, never a refusal.
      const decideRetrying = async (refereeId: string): Promise<StudentReward | undefined> => {
        for (let attempt = 1; ; attempt++) {
          try {
            return await wide.transaction(async (tx) => {
              await lockReferee(tx, refereeId);
              return decide.execute(tx, refereeId, clock.now());
            });
          } catch (err) {
            if (attempt >= 10 || !isTransientInfrastructureError(err)) throw err;
          }
        }
      };
      decided = await Promise.all(referees.map(decideRetrying));
    } finally {
      await wide.destroy();
    }
    const statuses = decided.map((r) => r?.status);
    expect(statuses.filter((s) => s === 'held')).toHaveLength(200);
    expect(decided.filter((r) => r?.reason === 'CAP_REACHED')).toHaveLength(300);
    const [{ value }] = await db.query<Array<{ value: number }>>(
      'SELECT value FROM program_counters WHERE name = $1',
      [`student_rewards:${phase}`],
    );
    expect(value).toBe(200);
    const [{ n }] = await db.query<Array<{ n: string }>>(
      `SELECT count(*) AS n FROM outbox_messages
        WHERE topic = 'reward-earned' AND key = ANY($1)`,
      [decided.map((r) => r!.rewardId)],
    );
    expect(Number(n)).toBe(200);
  });

  it('refuses a reward past the referrer velocity limit and records why', async () => {
    await setConfig('student_phase_caps', { [phase]: 100_000 });
    await setConfig('student_velocity_limits', [{ windowHours: 24, max: 2 }]);
    const referrer = randomUUID();
    const first = await decideNow(await seedReferee(referrer));
    const second = await decideNow(await seedReferee(referrer));
    const third = await decideNow(await seedReferee(referrer));
    expect([first?.status, second?.status, third?.status]).toEqual(['held', 'held', 'refused']);
    expect(third?.reason).toBe('VELOCITY_LIMIT');
    clock.advance(25 * 3600_000);
    expect((await decideNow(await seedReferee(referrer)))?.status).toBe('held');
  });

  it('unlocks each due reward once when two replicas tick at the same moment', async () => {
    const job = service.app.get(UnlockDueRewardsJob);
    await job.runOnce();
    clock.advance(8 * 86_400_000);
    // Due at the moved clock: other suites' held rewards in the shared schema run on clocks of
    // their own, and may not be.
    const due = await db.query<Array<{ reward_id: string }>>(
      `SELECT reward_id FROM student_rewards WHERE status = 'held' AND hold_until <= $1`,
      [clock.now()],
    );
    expect(due.length).toBeGreaterThan(0);
    const [a, b] = await Promise.all([job.runOnce(), job.runOnce()]);
    expect(a.unlocked + b.unlocked).toBeGreaterThanOrEqual(due.length);
    const [{ n }] = await db.query<Array<{ n: string }>>(
      `SELECT count(*) AS n FROM outbox_messages WHERE topic = 'reward-unlocked' AND key = ANY($1)`,
      [due.map((r) => r.reward_id)],
    );
    expect(Number(n)).toBe(due.length);
    expect(await job.runOnce()).toMatchObject({ unlocked: 0 });
  });

  it('ticks on one replica at a time by a lock of its own schema, which another service cannot hold', async () => {
    const job = service.app.get(UnlockDueRewardsJob);
    const replica = new Client({ connectionString: config.DATABASE_URL });
    // Wallet's runtime role: it may take any advisory lock, and nothing of the referrals schema.
    const wallet = new Client({ connectionString: serviceTestEnv('wallet').DATABASE_URL });
    await replica.connect();
    await wallet.connect();
    try {
      await wallet.query('SELECT pg_advisory_lock($1::int, 0)', [0x756e6c6b]);
      await wallet.query('SELECT pg_advisory_lock(hashtext($1))', ['referrals:unlock-due-rewards']);
      await expect(
        wallet.query(
          "SELECT 1 FROM referrals.schema_locks WHERE name = 'referrals:unlock-due-rewards'",
        ),
      ).rejects.toThrow(/permission denied/);
      expect((await job.runOnce()).ran).toBe(true);

      // Another replica in the middle of its tick holds the lock: this one skips the tick.
      // As every replica does (ensureSchemaLockRow): the row committed first, then locked.
      await replica.query(
        "INSERT INTO schema_locks (name) VALUES ('referrals:unlock-due-rewards') ON CONFLICT DO NOTHING",
      );
      await replica.query('BEGIN');
      await replica.query(
        "SELECT name FROM schema_locks WHERE name = 'referrals:unlock-due-rewards' FOR UPDATE",
      );
      expect(await job.runOnce()).toEqual({ ran: false, unlocked: 0, reviewsExpired: 0 });
      await replica.query('COMMIT');
      expect((await job.runOnce()).ran).toBe(true);
    } finally {
      await replica.end();
      await wallet.end();
    }
  });

  it('grants a referring instructor the configured rebate after 3 lessons in 30 days', async () => {
    const referrer = randomUUID();
    const instructor = randomUUID();
    await db.query(
      `INSERT INTO attributions (referee_id, referrer_id, code, program, outcome, decided_at)
       VALUES ($1, $2, 'SEEDED', 'instructor', 'attributed', $3)`,
      [instructor, referrer, clock.now()],
    );
    const teach = async (day: number) =>
      db.query(
        `INSERT INTO instructor_lessons (booking_id, instructor_id, student_id, price_cents,
           starts_at, completed_at) VALUES ($1, $2, $3, 8000, $4, $5)`,
        [
          randomUUID(),
          instructor,
          randomUUID(),
          new Date(Date.UTC(2027, 1, day, 9)),
          new Date(Date.UTC(2027, 1, day, 10)),
        ],
      );
    const grant = () =>
      db.transaction(async (tx) => {
        await lockReferee(tx, instructor);
        await service.app.get(GrantFeeRebate).execute(tx, instructor, clock.now());
        return tx.query<Array<{ kind: string; status: string; amount_cents: number }>>(
          'SELECT kind, status, amount_cents FROM student_rewards WHERE referee_id = $1',
          [instructor],
        );
      });
    await teach(1);
    await teach(2);
    await teach(3);
    expect(await grant()).toEqual([]);
    await db.query(
      `UPDATE program_config SET value = '{"enabled": true, "amountCents": 5000, "lessons": 3,
         "windowDays": 30}' WHERE key = 'instructor_fee_rebate'`,
    );
    expect(await grant()).toEqual([{ kind: 'fee_rebate', status: 'held', amount_cents: 5000 }]);
    await teach(4);
    expect(await grant()).toHaveLength(1);
  });
});
