import { Currency, CURRENCIES } from '@rewards/contracts';
import { EntityManager } from 'typeorm';

export interface VelocityLimit {
  windowHours: number;
  max: number;
}

/** The student program's amounts, windows, caps and limits: program_config rows. */
export interface StudentProgramSettings {
  referrerRewardCents: number;
  refereeDiscountCents: number;
  lessonMinimumCents: number;
  holdDays: number;
  creditLifetimeMonths: number;
  phase: string;
  phaseCaps: Record<string, number>;
  velocityLimits: VelocityLimit[];
  householdReviewThreshold: number;
  reviewExpiryDays: number;
  currency: Currency;
}

export const STUDENT_PROGRAM_KEYS = {
  referrerRewardCents: 'student_referrer_reward_cents',
  refereeDiscountCents: 'student_referee_discount_cents',
  lessonMinimumCents: 'student_lesson_minimum_cents',
  holdDays: 'student_hold_days',
  creditLifetimeMonths: 'student_credit_lifetime_months',
  phase: 'student_program_phase',
  phaseCaps: 'student_phase_caps',
  velocityLimits: 'student_velocity_limits',
  householdReviewThreshold: 'household_review_threshold',
  reviewExpiryDays: 'review_expiry_days',
  currency: 'currency',
} as const satisfies Record<keyof StudentProgramSettings, string>;

const isCount = (v: unknown): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Why a value cannot be a setting, or undefined when it can: shared by reads and admin writes. */
export function settingProblem(
  key: keyof StudentProgramSettings,
  value: unknown,
): string | undefined {
  switch (key) {
    case 'referrerRewardCents':
    case 'refereeDiscountCents':
    case 'lessonMinimumCents':
    case 'reviewExpiryDays':
    case 'holdDays': // 0 releases rewards at the next unlock tick: a demo setting
      return isCount(value) ? undefined : 'must be a non-negative integer';
    case 'creditLifetimeMonths':
    case 'householdReviewThreshold':
      return isCount(value) && value >= 1 ? undefined : 'must be a positive integer';
    case 'phase':
      return typeof value === 'string' && /^[a-z][a-z0-9_-]{0,31}$/.test(value)
        ? undefined
        : 'must be a phase name like "beta"';
    case 'phaseCaps':
      return typeof value === 'object' &&
        value !== null &&
        !Array.isArray(value) &&
        Object.entries(value).every(([k, v]) => /^[a-z][a-z0-9_-]{0,31}$/.test(k) && isCount(v))
        ? undefined
        : 'must map phase names to non-negative integers';
    case 'velocityLimits':
      return Array.isArray(value) &&
        value.length <= 10 &&
        value.every(
          (l: unknown) =>
            typeof l === 'object' &&
            l !== null &&
            isCount((l as VelocityLimit).windowHours) &&
            (l as VelocityLimit).windowHours >= 1 &&
            isCount((l as VelocityLimit).max) &&
            Object.keys(l).length === 2,
        )
        ? undefined
        : 'must be a list of {"windowHours": n, "max": n}';
    case 'currency':
      return (CURRENCIES as readonly unknown[]).includes(value) ? undefined : 'is not supported';
  }
}

export async function readStudentProgramSettings(
  tx: EntityManager,
): Promise<StudentProgramSettings> {
  const rows = await tx.query<Array<{ key: string; value: unknown }>>(
    'SELECT key, value FROM program_config WHERE key = ANY($1)',
    [Object.values(STUDENT_PROGRAM_KEYS)],
  );
  const byKey = new Map(rows.map((r) => [r.key, r.value]));
  const settings = {} as Record<string, unknown>;
  for (const [name, key] of Object.entries(STUDENT_PROGRAM_KEYS)) {
    const value = byKey.get(key);
    const problem = settingProblem(name as keyof StudentProgramSettings, value);
    if (problem) throw new Error(`program_config ${key} ${problem}: ${JSON.stringify(value)}`);
    settings[name] = value;
  }
  return settings as unknown as StudentProgramSettings;
}

export const capCounter = (phase: string): string => `student_rewards:${phase}`;
