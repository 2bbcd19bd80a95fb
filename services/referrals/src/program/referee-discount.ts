import { Currency, CURRENCIES, RefereeDiscount } from '@rewards/contracts';
import { EntityManager } from 'typeorm';

const DISCOUNT_KEY = 'student_referee_discount_cents';
const MINIMUM_KEY = 'student_referee_minimum_lesson_cents';

function cents(key: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new Error(`program_config ${key} must be a non-negative integer, got ${String(value)}`);
  }
  return value;
}

/** The referee's first-lesson discount as the program config stands; null when it is 0. */
export function refereeDiscountFrom(
  values: ReadonlyMap<string, unknown>,
  currency: Currency,
): RefereeDiscount | null {
  const amountCents = cents(DISCOUNT_KEY, values.get(DISCOUNT_KEY));
  const minimumCents = cents(MINIMUM_KEY, values.get(MINIMUM_KEY));
  if (amountCents === 0) return null;
  return {
    amount: { amountCents, currency },
    minimumLessonPrice: { amountCents: minimumCents, currency },
  };
}

export async function readRefereeDiscount(tx: EntityManager): Promise<RefereeDiscount | null> {
  const rows = await tx.query<Array<{ key: string; value: unknown }>>(
    'SELECT key, value FROM program_config WHERE key = ANY($1)',
    [[DISCOUNT_KEY, MINIMUM_KEY, 'currency']],
  );
  const values = new Map(rows.map((r) => [r.key, r.value]));
  const currency = values.get('currency');
  if (!(CURRENCIES as readonly unknown[]).includes(currency)) {
    throw new Error(`program_config currency is not supported: ${JSON.stringify(currency)}`);
  }
  return refereeDiscountFrom(values, currency as Currency);
}
