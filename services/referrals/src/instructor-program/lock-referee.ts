import { EntityManager } from 'typeorm';

/** First half of the two-int advisory lock that serializes one referee's milestones. */
const REFEREE_LOCK_SPACE = 0x72656665; // 'refe'

/**
 * Serializes the signup, went-live and first-lesson handlers of one referee until the
 * transaction ends. Consumers apply several partitions at once, and these events arrive on
 * different topics: without it, a signup and a first lesson applied side by side each miss the
 * other's uncommitted row and the bonus is never decided. Taken before reading anything, so the
 * second handler sees what the first committed.
 */
export async function lockReferee(tx: EntityManager, refereeId: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1::int, hashtext($2))', refereeLockArgs(refereeId));
}

/**
 * The lock's two arguments, for a statement that takes it before writing (as $1 and $2). Only a
 * later statement sees what the previous holder committed: read after that one, not in it.
 */
export function refereeLockArgs(refereeId: string): [number, string] {
  // Lower case: ids are uuids, and one referee must be one lock whoever spelled the id.
  return [REFEREE_LOCK_SPACE, `referrals:referee:${refereeId.toLowerCase()}`];
}
