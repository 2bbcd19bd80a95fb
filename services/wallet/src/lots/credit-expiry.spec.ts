import { addMonths, creditExpiry, daysLeft, reminderWindows } from './credit-expiry';

const at = (iso: string) => new Date(iso);

describe(creditExpiry.name, () => {
  it('keeps the date the reward-unlocked announced when it is after the unlock', () => {
    expect(creditExpiry(at('2026-03-01T10:00:00Z'), at('2026-05-01T10:00:00Z'), 6)).toEqual(
      at('2026-05-01T10:00:00Z'),
    );
  });

  it('falls back to the configured lifetime when no later date was announced', () => {
    expect(creditExpiry(at('2026-03-01T10:00:00Z'), null, 6)).toEqual(at('2026-09-01T10:00:00Z'));
    expect(creditExpiry(at('2026-03-01T10:00:00Z'), at('2026-03-01T10:00:00Z'), 3)).toEqual(
      at('2026-06-01T10:00:00Z'),
    );
  });
});

describe(addMonths.name, () => {
  it('clamps to the end of a shorter month', () => {
    expect(addMonths(at('2026-08-31T12:00:00Z'), 6)).toEqual(at('2027-02-28T12:00:00Z'));
  });
});

describe(reminderWindows.name, () => {
  it('gives each reminder the days between it and the next shorter one', () => {
    const now = at('2026-01-01T00:00:00Z');
    expect(reminderWindows(now, [3, 14])).toEqual([
      { daysBefore: 14, after: at('2026-01-04T00:00:00Z'), until: at('2026-01-15T00:00:00Z') },
      { daysBefore: 3, after: now, until: at('2026-01-04T00:00:00Z') },
    ]);
  });
});

describe(daysLeft.name, () => {
  it('rounds partial days up and never goes below zero', () => {
    expect(daysLeft(at('2026-01-01T00:00:00Z'), at('2026-01-14T12:00:00Z'))).toBe(14);
    expect(daysLeft(at('2026-01-02T00:00:00Z'), at('2026-01-01T00:00:00Z'))).toBe(0);
  });
});
