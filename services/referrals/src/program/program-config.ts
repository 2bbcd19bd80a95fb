import { Currency, CURRENCIES } from '@rewards/contracts';
import { EntityManager } from 'typeorm';

/** Program amounts, windows and caps: rows an admin can change without a deploy. */
export interface ProgramConfig {
  foundingInstructorCap: number;
  foundingInstructorBonusCents: number;
  instructorStandardBonusCents: number;
  /** The least a referee's first lesson must cost to earn the referrer's bonus. */
  instructorLessonMinimumCents: number;
  currency: Currency;
}

const KEYS: Record<keyof ProgramConfig, string> = {
  foundingInstructorCap: 'founding_instructor_cap',
  foundingInstructorBonusCents: 'founding_instructor_bonus_cents',
  instructorStandardBonusCents: 'instructor_standard_bonus_cents',
  instructorLessonMinimumCents: 'instructor_lesson_minimum_cents',
  currency: 'currency',
};

function nonNegativeInt(key: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new Error(
      `program_config ${key} must be a non-negative integer, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

export async function readProgramConfig(tx: EntityManager): Promise<ProgramConfig> {
  const rows = await tx.query<Array<{ key: string; value: unknown }>>(
    'SELECT key, value FROM program_config WHERE key = ANY($1)',
    [Object.values(KEYS)],
  );
  const byKey = new Map(rows.map((r) => [r.key, r.value]));
  const currency = byKey.get(KEYS.currency);
  if (!(CURRENCIES as readonly unknown[]).includes(currency)) {
    throw new Error(`program_config currency is not supported: ${JSON.stringify(currency)}`);
  }
  return {
    foundingInstructorCap: nonNegativeInt(
      KEYS.foundingInstructorCap,
      byKey.get(KEYS.foundingInstructorCap),
    ),
    foundingInstructorBonusCents: nonNegativeInt(
      KEYS.foundingInstructorBonusCents,
      byKey.get(KEYS.foundingInstructorBonusCents),
    ),
    instructorStandardBonusCents: nonNegativeInt(
      KEYS.instructorStandardBonusCents,
      byKey.get(KEYS.instructorStandardBonusCents),
    ),
    instructorLessonMinimumCents: nonNegativeInt(
      KEYS.instructorLessonMinimumCents,
      byKey.get(KEYS.instructorLessonMinimumCents),
    ),
    currency: currency as Currency,
  };
}

/** Reads a counter; with `lock`, holds it until the transaction ends so caps stay exact. */
export async function readCounter(tx: EntityManager, name: string, lock: boolean): Promise<number> {
  const rows = await tx.query<Array<{ value: number }>>(
    `SELECT value FROM program_counters WHERE name = $1${lock ? ' FOR UPDATE' : ''}`,
    [name],
  );
  if (rows.length === 0) throw new Error(`program counter ${name} is missing`);
  return rows[0].value;
}

export async function incrementCounter(tx: EntityManager, name: string): Promise<void> {
  await tx.query('UPDATE program_counters SET value = value + 1 WHERE name = $1', [name]);
}

export const FOUNDING_BONUSES_COUNTER = 'founding_instructor_bonuses';
