import { AttemptBudget, MIN_CALL_MS } from './attempt-budget';

describe(AttemptBudget.name, () => {
  let now = 0;
  const budget = () => new AttemptBudget(20_000, () => now);

  beforeEach(() => (now = 1_000));

  it('gives a call its usual timeout while the budget allows it', () => {
    expect(budget().timeoutFor(5_000)).toBe(5_000);
  });

  it('shortens the timeout to what is left, ending at three quarters of the lease', () => {
    const b = budget();
    now += 12_000;

    expect(b.timeoutFor(20_000)).toBe(3_000);
    expect(b.allows(b.timeoutFor(20_000))).toBe(true);
  });

  it('refuses a call once too little is left', () => {
    const b = budget();
    now += 15_000 - MIN_CALL_MS + 1;

    expect(b.allows(b.timeoutFor(20_000))).toBe(false);
    now += 60_000;
    expect(b.allows(b.timeoutFor(20_000))).toBe(false);
  });
});
