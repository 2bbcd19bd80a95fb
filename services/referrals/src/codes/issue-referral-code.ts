import { randomInt } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { ReferralCode } from './referral-code.entity';

// No 0/O, 1/I/L: codes are read aloud and typed from phones.
const ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
const LENGTH = 8;

function generateCode(): string {
  let code = '';
  for (let i = 0; i < LENGTH; i++) code += ALPHABET[randomInt(ALPHABET.length)];
  return code;
}

export function normalizeCode(input: string): string {
  return input.trim().toUpperCase();
}

/** Gives a user their one referral code; a second call returns the first code. */
export async function issueReferralCode(
  tx: EntityManager,
  userId: string,
  ownerRole: 'student' | 'instructor',
  now: Date,
  generate: () => string = generateCode,
): Promise<ReferralCode> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const existing = await tx.findOneBy(ReferralCode, { userId });
    if (existing) return existing;
    const inserted = await tx.query<unknown[]>(
      `INSERT INTO referral_codes (code, user_id, owner_role, enabled, created_at)
       VALUES ($1, $2, $3, true, $4) ON CONFLICT DO NOTHING RETURNING code`,
      [generate(), userId, ownerRole, now],
    );
    if (inserted.length > 0) return tx.findOneByOrFail(ReferralCode, { userId });
  }
  throw new Error('could not find a free referral code in 5 attempts');
}
