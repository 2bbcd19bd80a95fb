import { CompletedLesson, lessonRefusal } from '../program/qualifying-lesson';

export interface FeeRebateSettings {
  enabled: boolean;
  amountCents: number;
  /** Qualifying lessons the referred instructor must teach... */
  lessons: number;
  /** ...within this many days of each other. */
  windowDays: number;
}

export function feeRebateProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'must be an object';
  const v = value as Record<string, unknown>;
  const count = (x: unknown, min: number) =>
    typeof x === 'number' && Number.isSafeInteger(x) && x >= min;
  if (typeof v.enabled !== 'boolean') return 'enabled must be true or false';
  if (!count(v.amountCents, 0)) return 'amountCents must be a non-negative integer';
  if (!count(v.lessons, 1)) return 'lessons must be a positive integer';
  if (!count(v.windowDays, 1)) return 'windowDays must be a positive integer';
  if (Object.keys(v).length !== 4) return 'takes enabled, amountCents, lessons, windowDays only';
  return undefined;
}

/**
 * The lesson that completes the first run of `lessons` qualifying lessons (the shared rule,
 * with the referrer's minimum) within `windowDays`, or undefined while there is none.
 */
export function lessonEarningRebate(
  lessons: readonly CompletedLesson[],
  settings: FeeRebateSettings,
  rule: { minimumPriceCents: number; referrerId: string },
): CompletedLesson | undefined {
  const qualifying = lessons
    .filter((l) => lessonRefusal(l, rule) === undefined)
    .sort((a, b) => a.completedAt.getTime() - b.completedAt.getTime());
  const windowMs = settings.windowDays * 86_400_000;
  for (let end = settings.lessons - 1; end < qualifying.length; end++) {
    const first = qualifying[end - settings.lessons + 1];
    if (qualifying[end].completedAt.getTime() - first.completedAt.getTime() <= windowMs) {
      return qualifying[end];
    }
  }
  return undefined;
}
