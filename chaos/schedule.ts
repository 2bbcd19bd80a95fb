// A seed's whole plan, decided up front by the seeded PRNG: how many flows and when each starts,
// the founding cap, and every fault with its timing and target. Pure: `--seed N` prints and runs
// the same plan every time. (What the platform does in between is not deterministic: see README.)
import { Prng } from './prng';

export const DATA_SERVICES = ['bookings', 'referrals', 'wallet', 'payouts'] as const;
export type DataService = (typeof DATA_SERVICES)[number];

/** Failure kinds the fake Stripe can inject (libs/testing/src/fake-stripe-chaos.ts). */
const STRIPE_FAULT_KINDS = [
  'http500',
  'http500-executed',
  'http429',
  'timeout',
  'timeout-executed',
] as const;
type StripeFaultKind = (typeof STRIPE_FAULT_KINDS)[number];

/** Past the payouts service's Stripe SDK timeout (20 s), so the client really times out. */
const STRIPE_HANG_MS = 21_000;

/** What a lock-hold fault locks, as a long admin transaction or a migration would. */
const LOCK_TARGETS = ['referrals-founding-counter', 'payouts-table'] as const;
export type LockTarget = (typeof LOCK_TARGETS)[number];

export type TimedFault =
  | { kind: 'kill'; atMs: number; service: DataService }
  | { kind: 'broker-restart'; atMs: number }
  | { kind: 'postgres-freeze'; atMs: number; durationMs: number }
  | { kind: 'lock-hold'; atMs: number; durationMs: number; target: LockTarget };

/** A kill timed from a flow's lesson completion: aims at the commit/offset/Stripe gaps. */
export interface CompletionKill {
  kind: 'kill-after-completion';
  flow: number;
  delayMs: number;
  service: DataService;
}

export interface DuplicatePlan {
  /** Share of the messages read from the topics that are produced a second time. */
  rate: number;
  maxDelayMs: number;
  seed: number;
}

interface StripeChaosPlan {
  seed: number;
  rates: Partial<Record<StripeFaultKind, number>>;
  hangMs: number;
  /** Only the calls the payouts service makes; the harness's account creation is spared. */
  endpoints: string[];
}

export interface SeedPlan {
  seed: number;
  flows: number;
  foundingCap: number;
  /** Flows start and timed faults fire within this window after the load starts. */
  loadMs: number;
  flowStartsMs: number[];
  timed: TimedFault[];
  completionKills: CompletionKill[];
  duplicates: DuplicatePlan | undefined;
  stripe: StripeChaosPlan | undefined;
}

export interface PlanOptions {
  flows: number;
  loadMs: number;
  /** Overrides the seeded founding cap. */
  foundingCap?: number;
}

const FAULT_FAMILIES = [
  'kill',
  'kill-after-completion',
  'broker-restart',
  'postgres-freeze',
  'duplicates',
  'stripe',
  'lock-hold',
] as const;
type FaultFamily = (typeof FAULT_FAMILIES)[number];

const FAMILY_ODDS: Record<FaultFamily, number> = {
  kill: 0.6,
  'kill-after-completion': 0.5,
  'broker-restart': 0.4,
  'postgres-freeze': 0.4,
  duplicates: 0.5,
  stripe: 0.6,
  'lock-hold': 0.35,
};
const MIN_FAMILIES = 2;
/** Flows start early enough to finish inside the load window. */
const LAST_FLOW_START_BEFORE_END_MS = 8_000;
const FIRST_FAULT_MS = 2_000;

export const STRIPE_ENDPOINTS = ['POST /v1/transfers', 'GET /v1/transfers', 'GET /v1/accounts/*'];

export function planSeed(seed: number, options: PlanOptions): SeedPlan {
  const root = new Prng(seed);
  const { flows, loadMs } = options;
  const families = chooseFamilies(root.fork('families'));
  const on = (family: FaultFamily): boolean => families.includes(family);

  const flowRng = root.fork('flows');
  const startWindow = Math.max(1_000, loadMs - LAST_FLOW_START_BEFORE_END_MS);
  const flowStartsMs = Array.from({ length: flows }, (_, i) =>
    Math.round((startWindow * i) / flows + flowRng.int(0, 500)),
  );
  const capRng = root.fork('founding-cap');
  const foundingCap =
    options.foundingCap ?? capRng.int(Math.round(flows * 0.4), Math.round(flows * 0.8));

  const timed: TimedFault[] = [];
  if (on('kill')) {
    const rng = root.fork('kill');
    const count = rng.int(1, 3);
    for (let i = 0; i < count; i++) {
      timed.push({
        kind: 'kill',
        atMs: rng.int(FIRST_FAULT_MS, loadMs),
        service: rng.pick(DATA_SERVICES),
      });
    }
  }
  if (on('broker-restart')) {
    const rng = root.fork('broker-restart');
    const count = rng.int(1, 2);
    const slot = (loadMs - 2 * FIRST_FAULT_MS) / count;
    for (let i = 0; i < count; i++) {
      // One restart per slot keeps restarts apart: each gets its replay and consumer rejoin.
      const atMs = Math.round(FIRST_FAULT_MS * 2 + slot * i + rng.next() * slot * 0.8);
      timed.push({ kind: 'broker-restart', atMs });
    }
  }
  if (on('postgres-freeze')) {
    const rng = root.fork('postgres-freeze');
    const durationMs = rng.int(10_000, 30_000);
    const latest = Math.max(FIRST_FAULT_MS, loadMs - durationMs);
    timed.push({ kind: 'postgres-freeze', atMs: rng.int(FIRST_FAULT_MS, latest), durationMs });
  }
  if (on('lock-hold')) {
    const rng = root.fork('lock-hold');
    const durationMs = rng.int(30_000, 45_000);
    const latest = Math.max(FIRST_FAULT_MS, loadMs - durationMs);
    timed.push({
      kind: 'lock-hold',
      atMs: rng.int(FIRST_FAULT_MS, latest),
      durationMs,
      target: rng.pick(LOCK_TARGETS),
    });
  }
  timed.sort((x, y) => x.atMs - y.atMs);

  const completionKills: CompletionKill[] = [];
  if (on('kill-after-completion')) {
    const rng = root.fork('kill-after-completion');
    const count = rng.int(1, 3);
    const chosen = rng.shuffle(Array.from({ length: flows }, (_, i) => i)).slice(0, count);
    for (const flow of chosen.sort((x, y) => x - y)) {
      // referrals decides within ~0.5 s of the completion; payouts calls Stripe a little later.
      const service = rng.pick<DataService>(['referrals', 'payouts', 'payouts', 'bookings']);
      const delayMs = rng.int(0, service === 'payouts' ? 1_500 : 600);
      completionKills.push({ kind: 'kill-after-completion', flow, delayMs, service });
    }
  }

  const duplicates: DuplicatePlan | undefined = on('duplicates')
    ? { rate: 0.1, maxDelayMs: 2_000, seed: root.fork('duplicates').nextUint32() }
    : undefined;

  let stripe: StripeChaosPlan | undefined;
  if (on('stripe')) {
    const rng = root.fork('stripe');
    const rates: Partial<Record<StripeFaultKind, number>> = {};
    for (const kind of STRIPE_FAULT_KINDS) {
      if (rng.chance(0.6)) rates[kind] = rng.int(3, 10) / 100;
    }
    if (Object.keys(rates).length === 0) rates[rng.pick(STRIPE_FAULT_KINDS)] = 0.08;
    stripe = {
      seed: rng.nextUint32(),
      rates,
      hangMs: STRIPE_HANG_MS,
      endpoints: STRIPE_ENDPOINTS,
    };
  }

  return {
    seed,
    flows,
    foundingCap,
    loadMs,
    flowStartsMs,
    timed,
    completionKills,
    duplicates,
    stripe,
  };
}

function chooseFamilies(rng: Prng): FaultFamily[] {
  const chosen = FAULT_FAMILIES.filter((f) => rng.chance(FAMILY_ODDS[f]));
  for (const family of rng.shuffle(FAULT_FAMILIES)) {
    if (chosen.length >= MIN_FAMILIES) break;
    if (!chosen.includes(family)) chosen.push(family);
  }
  return FAULT_FAMILIES.filter((f) => chosen.includes(f));
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;
const percent = (rate: number): string => `${Math.round(rate * 100)}%`;

/** The plan as printed before a seed runs. */
export function describePlan(plan: SeedPlan): string[] {
  const lines = [
    `seed ${plan.seed}: ${plan.flows} flows started over ${seconds(plan.flowStartsMs.at(-1) ?? 0)}, ` +
      `founding cap ${plan.foundingCap}, load window ${seconds(plan.loadMs)}`,
  ];
  for (const f of plan.timed) {
    switch (f.kind) {
      case 'kill':
        lines.push(`  t+${seconds(f.atMs).padStart(6)}  kill -9 ${f.service}`);
        break;
      case 'broker-restart':
        lines.push(`  t+${seconds(f.atMs).padStart(6)}  restart the Kafka broker (SIGUSR2)`);
        break;
      case 'postgres-freeze':
        lines.push(
          `  t+${seconds(f.atMs).padStart(6)}  SIGSTOP Postgres (postmaster and backends) ` +
            `for ${seconds(f.durationMs)}`,
        );
        break;
      case 'lock-hold':
        lines.push(
          `  t+${seconds(f.atMs).padStart(6)}  hold a lock on ${f.target} for ${seconds(f.durationMs)}`,
        );
        break;
    }
  }
  for (const k of plan.completionKills) {
    lines.push(`  flow ${k.flow} lesson completed + ${k.delayMs} ms  kill -9 ${k.service}`);
  }
  if (plan.duplicates) {
    lines.push(
      `  duplicates: ${percent(plan.duplicates.rate)} of messages produced again ` +
        `(same key, value, headers), 0-${plan.duplicates.maxDelayMs} ms later`,
    );
  }
  if (plan.stripe) {
    const rates = Object.entries(plan.stripe.rates)
      .map(([kind, rate]) => `${kind} ${percent(rate)}`)
      .join(', ');
    lines.push(`  stripe faults on ${plan.stripe.endpoints.join(', ')}: ${rates}`);
  }
  if (plan.timed.length + plan.completionKills.length === 0 && !plan.duplicates && !plan.stripe) {
    lines.push('  no faults');
  }
  return lines;
}

/** Short form for the results table, e.g. "kill×2 pg-freeze dup stripe". */
export function summarizeFaults(plan: SeedPlan): string {
  const kills = plan.timed.filter((f) => f.kind === 'kill').length + plan.completionKills.length;
  const parts: string[] = [];
  if (kills > 0) parts.push(`kill×${kills}`);
  const restarts = plan.timed.filter((f) => f.kind === 'broker-restart').length;
  if (restarts > 0) parts.push(`broker×${restarts}`);
  const freeze = plan.timed.find((f) => f.kind === 'postgres-freeze');
  if (freeze) parts.push(`pg-stop ${Math.round(freeze.durationMs / 1000)}s`);
  const lock = plan.timed.find((f) => f.kind === 'lock-hold');
  if (lock) parts.push(`lock ${Math.round(lock.durationMs / 1000)}s`);
  if (plan.duplicates) parts.push('dup');
  if (plan.stripe) parts.push('stripe');
  return parts.join(' ') || 'none';
}
