// The seeded fault harness: `npm run chaos -- --seeds 3` (seeds 1..3), `--seed 17` (replay one).
// Per seed: a fresh embedded platform, N instructor referral flows through the gateway while the
// seed's faults are injected, a wait for quiet, then the invariants. See chaos/README.md.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { Client } from 'pg';
import { wipeDataDir } from '../tools/local/postgres-home';
import { CreditGiver } from './credit-giver';
import { Duplicator } from './duplicator';
import { FaultInjector } from './faults';
import { FlowResult, runFlow } from './flow';
import { ResilientClient } from './http';
import {
  checkInvariants,
  InvariantReport,
  readProgress,
  StripeCharges,
  StripeTransfer,
} from './invariants';
import { portsFrom, RunningPlatform, startPlatform } from './platform-control';
import { describePlan, planSeed, SeedPlan } from './schedule';
import { formatTable, passed, SeedResult } from './table';

interface Args {
  seeds: number[];
  flows: number;
  loadMs: number;
  foundingCap?: number;
  portBase: number;
  parallel: number;
}

const USAGE = `usage: npm run chaos -- [--seeds N [--from K] | --seed S] [--flows F]
       [--load-seconds L] [--founding-cap C] [--port-base P] [--parallel J]
  --seeds N         run seeds K..K+N-1 (K from --from, default 1)
  --seed S          run seed S only (replays its plan exactly); may be repeated
  --flows F         instructor referral flows per seed (default 30)
  --load-seconds L  window in which flows start and timed faults fire (default 40)
  --founding-cap C  founding bonus cap to set (default: seeded, 40-80% of the flows)
  --port-base P     gateway port; services take P+1..P+4, the fake Stripe P+11, the SMTP sink
                    P+12 (default 3300); the seeds run side by side take P+20, P+40, ...
  --parallel J      seeds run side by side, each on its own platform (default 1)`;

function parseArgs(argv: string[]): Args {
  const args: Args = { seeds: [], flows: 30, loadMs: 40_000, portBase: 3300, parallel: 1 };
  let count: number | undefined;
  let from = 1;
  const int = (flag: string, raw: string | undefined, min: number): number => {
    const value = Number(raw);
    if (raw === undefined || !Number.isInteger(value) || value < min) {
      throw new Error(`${flag} needs an integer >= ${min}\n${USAGE}`);
    }
    return value;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    switch (flag) {
      case '--seeds':
        count = int(flag, value, 1);
        i++;
        break;
      case '--from':
        from = int(flag, value, 0);
        i++;
        break;
      case '--seed':
        args.seeds.push(int(flag, value, 0));
        i++;
        break;
      case '--flows':
        args.flows = int(flag, value, 1);
        i++;
        break;
      case '--load-seconds':
        args.loadMs = int(flag, value, 10) * 1000;
        i++;
        break;
      case '--founding-cap':
        args.foundingCap = int(flag, value, 0);
        i++;
        break;
      case '--port-base':
        args.portBase = int(flag, value, 1024);
        i++;
        break;
      case '--parallel':
        args.parallel = int(flag, value, 1);
        i++;
        break;
      case '--help':
      case '-h':
        console.log(USAGE);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown argument '${flag}'\n${USAGE}`);
    }
  }
  if (args.seeds.length === 0) {
    args.seeds = Array.from({ length: count ?? 1 }, (_, i) => from + i);
  }
  // A seed named twice would run twice into one directory.
  args.seeds = [...new Set(args.seeds)];
  return args;
}

type Say = (line: string) => void;
const say: Say = (line) => void process.stdout.write(`${line}\n`);
/** A seed's lines, prefixed with it when seeds run side by side. */
const seedSay = (seed: number, args: Args): Say =>
  args.parallel === 1 ? say : (line) => say(line === '' ? '' : `[seed ${seed}] ${line}`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no repository root above ${from}`);
  }
}

/** Ports a seed's platform takes from its base (portsFrom): seeds side by side keep apart. */
const PORTS_PER_SEED = 20;

/** Bounds of the wait for quiet after the load. */
const QUIET_MS = 10_000;
const SETTLED_QUIET_MS = 3_000;
const QUIET_BOUND_MS = 90_000;
/**
 * A payout attempt cut off by a crash is resumed after its lease (doubling per interruption, up
 * to PAYOUT_RESUME_MAX_BACKOFF_MS); a failed one is retried PAYOUT_RETRY_INTERVAL_MS later.
 * Wait that long for a payout that is due soon, but no longer than this.
 */
const LEASE_BOUND_MS = 150_000;
const FLOW_TIMEOUT_MS = 150_000;
const STRIPE_KEY = 'sk_test_chaos';

/** Active cleanup for the exit handler: a stopped Postgres or a running platform left behind. */
const cleanups = new Set<() => void>();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    say(`\n${sig}: resuming Postgres and stopping the platform`);
    process.exit(130);
  });
}
process.on('exit', () => {
  for (const cleanup of cleanups) cleanup();
});

async function jsonCall<T>(url: string, method: string, body?: unknown): Promise<T> {
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url} -> ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

async function waitForQuiet(
  admin: Client,
  stripeUrl: string,
  say: Say,
): Promise<{ how: string; waitedMs: number; summary: string }> {
  const began = Date.now();
  let last = '';
  let lastChange = Date.now();
  let lastSaid = Date.now();
  for (;;) {
    const transfers = await jsonCall<{ data: unknown[] }>(`${stripeUrl}/_chaos/transfers`, 'GET');
    const progress = await readProgress(admin, transfers.data.length);
    const now = Date.now();
    if (progress.fingerprint !== last) {
      last = progress.fingerprint;
      lastChange = now;
    }
    const still = now - lastChange;
    const waited = now - began;
    const done = (how: string) => ({ how, waitedMs: waited, summary: progress.summary });
    if (progress.settled && still >= SETTLED_QUIET_MS) return done('settled');
    // A payout not due yet (a lease after a crash, a retry delay) will still move: wait for it.
    const due = progress.nextPayoutAttemptAt?.getTime();
    // So will a card charge left open by a kill: the reconciliation job settles it after its grace.
    const waitingForPayout =
      (due !== undefined && due < began + LEASE_BOUND_MS) || progress.openCharges > 0;
    if (still >= QUIET_MS && !waitingForPayout) return done(`quiet for ${QUIET_MS / 1000}s`);
    if (waited >= QUIET_BOUND_MS && !waitingForPayout) return done('bound reached');
    if (waited >= LEASE_BOUND_MS) return done('lease bound reached');
    if (now - lastSaid >= 15_000) {
      lastSaid = now;
      say(`  waiting for quiet: ${progress.summary}`);
    }
    await sleep(1_000);
  }
}

async function runSeed(
  seed: number,
  args: Args,
  root: string,
  runDir: string,
  slot: number,
): Promise<SeedResult> {
  const began = Date.now();
  const say = seedSay(seed, args);
  const plan: SeedPlan = planSeed(seed, {
    flows: args.flows,
    loadMs: args.loadMs,
    foundingCap: args.foundingCap,
  });
  say('');
  for (const line of describePlan(plan)) say(line);
  const seedDir = join(runDir, `seed-${seed}`);
  mkdirSync(seedDir, { recursive: true });
  writeFileSync(join(seedDir, 'plan.json'), `${JSON.stringify(plan, null, 2)}\n`);
  // The seed's own platform data and state (PLATFORM_LOCAL_DIR): its logs stay there as evidence.
  const localDir = join(seedDir, 'platform');

  const result: SeedResult = {
    seed,
    plan,
    faults: [],
    flows: [],
    duplicates: 0,
    stripeInjected: 0,
    restarts: {},
    quiet: '',
    report: undefined,
    error: undefined,
    durationMs: 0,
    seedDir,
  };
  let platform: RunningPlatform | undefined;
  let injector: FaultInjector | undefined;
  let duplicator: Duplicator | undefined;
  let credit: CreditGiver | undefined;
  let admin: Client | undefined;
  const cleanup = (): void => {
    injector?.thawNow();
    platform?.stopNow();
  };
  cleanups.add(cleanup);
  try {
    say('starting a fresh platform...');
    platform = await startPlatform({
      root,
      localDir,
      ports: portsFrom(args.portBase + slot * PORTS_PER_SEED),
      outputFile: join(seedDir, 'platform.out'),
      env: {
        // Retries on a chaos scale, not an hourly one; payouts refuses a retry interval shorter
        // than its lease (PAYOUT_LEASE_MS, 20 s by default), so that is the shortest.
        PAYOUT_SWEEP_INTERVAL_MS: '2000',
        PAYOUT_RETRY_INTERVAL_MS: '20000',
        PAYOUT_UNCERTAIN_RETRY_MS: '20000',
        // A charge left without its booking is refunded within the run (more than twice
        // STRIPE_TIMEOUT_MS, 10 s by default, is the shortest grace bookings accepts).
        CHARGE_RECONCILE_GRACE_MS: '25000',
        CHARGE_RECONCILE_INTERVAL_MS: '5000',
      },
      readyTimeoutMs: 120_000,
    });
    const running = platform;
    say(
      `platform pid ${running.pid} ready in ${((Date.now() - began) / 1000).toFixed(1)}s` +
        (running.supervised
          ? ' (supervised)'
          : ' (no supervisor: kills and broker restarts are skipped)'),
    );
    const adminUrl = running.adminUrl();
    admin = new Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(
      `UPDATE referrals.program_config SET value = to_jsonb($1::int), updated_at = now(),
         updated_by = 'chaos harness' WHERE key = 'founding_instructor_cap'`,
      [plan.foundingCap],
    );
    const stripeUrl = running.fakeStripeUrl();
    if (plan.stripe) await jsonCall(`${stripeUrl}/_chaos`, 'POST', plan.stripe);
    if (plan.duplicates) {
      duplicator = new Duplicator(running.kafkaBrokers(), plan.duplicates, say);
      await duplicator.start();
    }
    const giver = new CreditGiver(running.kafkaBrokers());
    credit = giver;
    await giver.start();

    const loadStart = Date.now();
    const faults = new FaultInjector(running, adminUrl, loadStart, say);
    injector = faults;
    faults.start(plan.timed, plan.completionKills);
    const gateway = new ResilientClient(running.gatewayUrl);
    const stripe = new ResilientClient(stripeUrl);
    const runId = randomUUID().slice(0, 8);
    const died = running.exited.then((code) => {
      throw new Error(`the platform exited (code ${code}) during the run`);
    });
    const flows = Promise.all(
      plan.flowStartsMs.map(async (startMs, index): Promise<FlowResult> => {
        await sleep(startMs - (Date.now() - loadStart));
        return runFlow({
          index,
          runId,
          gateway,
          stripe,
          stripeKey: STRIPE_KEY,
          credit: giver,
          lessonLeadMs: 1_500,
          timeoutMs: FLOW_TIMEOUT_MS,
          onCompleted: (flow) => faults.lessonCompleted(flow),
        });
      }),
    );
    result.flows = await Promise.race([flows, died]);
    await Promise.race([faults.settled(), died]);
    result.faults = faults.events;
    const completed = result.flows.filter((f) => f.completedAt !== undefined).length;
    say(
      `load done after ${((Date.now() - loadStart) / 1000).toFixed(1)}s: ${completed}/${plan.flows} ` +
        `lessons completed, ${gateway.retries} client retries`,
    );
    for (const f of result.flows.filter((x) => x.error !== undefined)) {
      say(`  flow ${f.index} aborted: ${f.error}`);
    }
    // The outage is over: Stripe answers normally again and duplicates stop.
    if (plan.stripe) {
      const status = await jsonCall<{ injected: Record<string, number> }>(
        `${stripeUrl}/_chaos`,
        'DELETE',
      );
      result.stripeInjected = Object.values(status.injected).reduce((a, b) => a + b, 0);
      say(`  stripe faults injected: ${JSON.stringify(status.injected)}`);
    }
    if (duplicator) {
      await duplicator.stop();
      result.duplicates = duplicator.produced;
      say(`  duplicates produced: ${duplicator.produced} of ${duplicator.seen} messages read`);
    }

    const quiet = await Promise.race([waitForQuiet(admin, stripeUrl, say), died]);
    result.quiet = `${quiet.how} after ${(quiet.waitedMs / 1000).toFixed(0)}s`;
    say(`quiet: ${result.quiet} (${quiet.summary})`);
    const transfers = await jsonCall<{ data: StripeTransfer[] }>(
      `${stripeUrl}/_chaos/transfers`,
      'GET',
    );
    const charges = await jsonCall<StripeCharges>(`${stripeUrl}/_chaos/charges`, 'GET');
    result.report = await checkInvariants(adminUrl, transfers.data, charges);
    for (const s of running.status()?.services ?? []) result.restarts[s.name] = s.restarts;
    printReport(result.report, result, say);
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
    say(`seed ${seed} could not finish: ${result.error}`);
  } finally {
    await duplicator?.stop().catch(() => undefined);
    await credit?.stop();
    await admin?.end().catch(() => undefined);
    injector?.thawNow();
    await platform?.stop();
    cleanups.delete(cleanup);
  }
  result.durationMs = Date.now() - began;
  // A passed seed's database is only disk (a platform's cluster is about 100 MB); a failed one's
  // stays for the post-mortem.
  if (passed(result)) {
    try {
      wipeDataDir(join(localDir, 'postgres'));
    } catch (err) {
      // Disk left behind, not a finding: the seed's result stands.
      say(`  could not delete the seed's Postgres data: ${String(err)}`);
    }
  }
  say(
    `seed ${seed}: evidence in ${relative(root, seedDir)}/ (plan, platform output, ` +
      `platform/logs${passed(result) ? '' : ', platform/postgres'})`,
  );
  return result;
}

function printReport(report: InvariantReport, result: SeedResult, say: Say): void {
  const restarts = Object.entries(result.restarts)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${s} ×${n}`)
    .join(', ');
  say(
    `invariants: ${report.owed} bonuses owed, ${report.paid} paid and agreed; founding ` +
      `${report.founding.founding}/${report.founding.cap} (counter ${report.founding.counter}), ` +
      `standard ${report.founding.standard}` +
      (restarts ? `; restarts: ${restarts}` : ''),
  );
  const list = (title: string, items: string[]): void => {
    if (items.length === 0) return;
    say(`  ${title} (${items.length}):`);
    for (const item of items.slice(0, 12)) say(`    ${item}`);
    if (items.length > 12) say(`    ... ${items.length - 12} more`);
  };
  const findings = (fs: InvariantReport['lost']): string[] =>
    fs.map((f) => `referee ${f.refereeId} (referrer ${f.referrerId ?? '?'}): ${f.detail}`);
  list('LOST', findings(report.lost));
  list('DOUBLED', findings(report.doubled));
  list('DISAGREEING', findings(report.disagreeing));
  list('PROGRAM', report.program);
  list('LEDGER', report.ledger);
  list('CHARGES', report.charges);
  list(
    'dead letters',
    report.deadLetters.map(
      (d) => `${d.schema}/${d.consumer} ${d.topic}: ${d.reason || '(NO REASON)'}`,
    ),
  );
  list('backlog', report.backlog);
  say(report.ok ? 'invariants: OK' : 'invariants: FAILED');
}

async function main(): Promise<number> {
  process.stdout.on('error', () => undefined);
  const args = parseArgs(process.argv.slice(2));
  const root = findRepoRoot(__dirname);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const runDir = join(root, '.local', 'chaos', stamp);
  mkdirSync(runDir, { recursive: true });
  say(
    `chaos: seeds ${args.seeds.join(', ')}; ${args.flows} flows each; ${args.parallel} at a time; ` +
      `output in ${relative(root, runDir)}/`,
  );
  const results: SeedResult[] = [];
  const queue = [...args.seeds];
  // Each lane runs its seeds one after another on its own ports (slot).
  const lane = async (slot: number): Promise<void> => {
    for (let seed = queue.shift(); seed !== undefined; seed = queue.shift()) {
      results.push(await runSeed(seed, args, root, runDir, slot));
      results.sort((a, b) => args.seeds.indexOf(a.seed) - args.seeds.indexOf(b.seed));
      writeFileSync(join(runDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
    }
  };
  const lanes = Math.min(args.parallel, args.seeds.length);
  await Promise.all(Array.from({ length: lanes }, (_, slot) => lane(slot)));
  say('');
  for (const line of formatTable(results)) say(line);
  const failed = results.filter((r) => !passed(r));
  say(
    failed.length === 0
      ? `\nall ${results.length} seed(s) passed`
      : `\nFAILED seeds: ${failed.map((r) => r.seed).join(', ')} (replay one with --seed S)`,
  );
  return failed.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    say(`chaos: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  },
);
