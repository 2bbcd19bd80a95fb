/** Policy of credit expiry and its reminders: pure functions of dates, no clock. */

const DAY_MS = 24 * 3600 * 1000;

/** `months` calendar months after `from` (UTC), clamped to the month's end (Aug 31 + 6 = Feb 28). */
export function addMonths(from: Date, months: number): Date {
  const target = new Date(from.getTime());
  const day = target.getUTCDate();
  target.setUTCDate(1);
  target.setUTCMonth(target.getUTCMonth() + months);
  const lastDay = new Date(
    Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0),
  ).getUTCDate();
  target.setUTCDate(Math.min(day, lastDay));
  return target;
}

/**
 * When an unlocked credit expires: the date its reward-unlocked gives (the program's window) when
 * that is after the unlock, else `lifetimeMonths` after the unlock.
 */
export function creditExpiry(
  unlockedAt: Date,
  announced: Date | null,
  lifetimeMonths: number,
): Date {
  if (announced !== null && announced.getTime() > unlockedAt.getTime()) return announced;
  return addMonths(unlockedAt, lifetimeMonths);
}

export interface ReminderWindow {
  daysBefore: number;
  /** Lots expiring after this and at or before `until` are due this reminder. */
  after: Date;
  until: Date;
}

/**
 * The window of each reminder at `now`: a lot gets the N-day reminder once it expires within N
 * days, unless it is already within the next (shorter) reminder's window, whose reminder it gets
 * instead; a reminder skipped that way is never sent late.
 */
export function reminderWindows(now: Date, daysBefore: readonly number[]): ReminderWindow[] {
  const sorted = [...new Set(daysBefore)].sort((a, b) => b - a);
  return sorted.map((days, i) => {
    const next = sorted[i + 1] ?? 0;
    return {
      daysBefore: days,
      after: new Date(now.getTime() + next * DAY_MS),
      until: new Date(now.getTime() + days * DAY_MS),
    };
  });
}

/** Whole days left until `expiresAt`, rounded up (a lot expiring in 13.5 days has 14 left). */
export function daysLeft(now: Date, expiresAt: Date): number {
  return Math.max(0, Math.ceil((expiresAt.getTime() - now.getTime()) / DAY_MS));
}
