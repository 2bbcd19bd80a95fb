import { Prng } from './prng';
import { describePlan, planSeed, STRIPE_ENDPOINTS } from './schedule';

describe(Prng.name, () => {
  it('gives the same sequence for the same seed and another for another seed', () => {
    const draw = (seed: number) => Array.from({ length: 5 }, () => new Prng(seed).nextUint32());
    const a = new Prng(17);
    const b = new Prng(17);
    const c = new Prng(18);
    const seqA = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(seqA);
    expect(Array.from({ length: 5 }, () => c.nextUint32())).not.toEqual(seqA);
    expect(draw(1)).toEqual(draw(1));
  });

  it('keeps forked streams independent of each other and of the parent', () => {
    const root = new Prng(5);
    expect(root.fork('x').next()).toBe(new Prng(5).fork('x').next());
    expect(root.fork('x').next()).not.toBe(root.fork('y').next());
  });

  it('draws integers within the bounds, both ends included', () => {
    const rng = new Prng(3);
    const seen = new Set(Array.from({ length: 500 }, () => rng.int(2, 5)));
    expect([...seen].sort()).toEqual([2, 3, 4, 5]);
  });
});

describe(planSeed.name, () => {
  const options = { flows: 30, loadMs: 40_000 };

  it('plans the same faults, timings and targets for the same seed', () => {
    expect(planSeed(17, options)).toEqual(planSeed(17, options));
    expect(describePlan(planSeed(17, options))).toEqual(describePlan(planSeed(17, options)));
  });

  it('keeps every plan within its bounds', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const plan = planSeed(seed, options);
      const families =
        Number(plan.timed.some((f) => f.kind === 'kill')) +
        Number(plan.completionKills.length > 0) +
        Number(plan.timed.some((f) => f.kind === 'broker-restart')) +
        Number(plan.timed.some((f) => f.kind === 'postgres-freeze')) +
        Number(plan.duplicates !== undefined) +
        Number(plan.stripe !== undefined) +
        Number(plan.timed.some((f) => f.kind === 'lock-hold'));
      expect(families).toBeGreaterThanOrEqual(2);
      expect(plan.flowStartsMs).toHaveLength(30);
      expect(plan.foundingCap).toBeGreaterThanOrEqual(12);
      expect(plan.foundingCap).toBeLessThanOrEqual(24);
      for (const f of plan.timed) {
        expect(f.atMs).toBeGreaterThanOrEqual(2_000);
        expect(f.atMs).toBeLessThanOrEqual(40_000);
        if (f.kind === 'postgres-freeze') {
          expect(f.durationMs).toBeGreaterThanOrEqual(10_000);
          expect(f.durationMs).toBeLessThanOrEqual(30_000);
        }
        if (f.kind === 'lock-hold') {
          expect(f.durationMs).toBeGreaterThanOrEqual(30_000);
          expect(f.durationMs).toBeLessThanOrEqual(45_000);
        }
      }
      for (const k of plan.completionKills) expect(k.flow).toBeLessThan(30);
      if (plan.stripe) {
        const total = Object.values(plan.stripe.rates).reduce((a, b) => a + b, 0);
        expect(total).toBeGreaterThan(0);
        expect(total).toBeLessThanOrEqual(0.5);
        expect(plan.stripe.endpoints).toEqual(STRIPE_ENDPOINTS);
      }
    }
  });

  it('takes an explicit founding cap over the seeded one', () => {
    expect(planSeed(4, { ...options, foundingCap: 100 }).foundingCap).toBe(100);
  });
});
