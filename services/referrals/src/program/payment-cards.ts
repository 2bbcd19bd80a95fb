import { EntityManager } from 'typeorm';
import { CompletedLesson } from './qualifying-lesson';

/**
 * Keeps the card each lesson was paid with as one of its student's cards (a keyed hash of the
 * card's fingerprint; bookings never sends the fingerprint itself), in one statement for a run
 * of lessons. Lessons paid by no card, or reported before cards were, add nothing. Answers the
 * users who paid with a card new to them.
 */
export async function recordPaymentCards(
  tx: EntityManager,
  lessons: readonly CompletedLesson[],
): Promise<string[]> {
  const paid = lessons.filter((l) => typeof l.paymentFingerprintHash === 'string');
  if (paid.length === 0) return [];
  const added = await tx.query<Array<{ user_id: string }>>(
    `INSERT INTO payment_cards (user_id, fingerprint_hash, first_booking_id, first_paid_at)
     SELECT * FROM unnest($1::uuid[], $2::char(64)[], $3::uuid[], $4::timestamptz[])
     ON CONFLICT (user_id, fingerprint_hash) DO NOTHING
     RETURNING user_id::text`,
    [
      paid.map((l) => l.studentId),
      paid.map((l) => l.paymentFingerprintHash),
      paid.map((l) => l.bookingId),
      paid.map((l) => l.completedAt),
    ],
  );
  return [...new Set(added.map((r) => r.user_id))];
}

/**
 * Rewards still held or in review whose referrer and referee have now both paid with one card,
 * with any of `userIds` on either side: the card became known after the reward was decided (the
 * referrer paid later, or their lesson's event came later).
 */
export async function rewardsSharingACard(
  tx: EntityManager,
  userIds: readonly string[],
): Promise<string[]> {
  if (userIds.length === 0) return [];
  const rows = await tx.query<Array<{ reward_id: string }>>(
    `SELECT r.reward_id::text FROM student_rewards r
      WHERE r.status IN ('held', 'review')
        AND (r.referrer_id = ANY($1::uuid[]) OR r.referee_id = ANY($1::uuid[]))
        AND EXISTS (
          SELECT 1 FROM payment_cards a
            JOIN payment_cards b ON b.fingerprint_hash = a.fingerprint_hash
           WHERE a.user_id = r.referrer_id AND b.user_id = r.referee_id)`,
    [userIds],
  );
  return rows.map((r) => r.reward_id);
}

/** Whether the two users have paid with one same card, whichever paid with it first. */
export async function sharePaymentCard(
  tx: EntityManager,
  userId: string,
  otherId: string,
): Promise<boolean> {
  const rows = await tx.query<unknown[]>(
    `SELECT 1 FROM payment_cards mine
       JOIN payment_cards theirs ON theirs.fingerprint_hash = mine.fingerprint_hash
      WHERE mine.user_id = $1 AND theirs.user_id = $2
      LIMIT 1`,
    [userId, otherId],
  );
  return rows.length > 0;
}
