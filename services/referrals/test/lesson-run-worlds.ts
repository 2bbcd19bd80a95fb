import { randomUUID } from 'node:crypto';
import { createEnvelope, Topics } from '@rewards/contracts';
import { Clock } from '@rewards/service-kit';
import { DataSource } from 'typeorm';
import { LessonEvent } from './lesson-run-harness';

/** A completed lesson, by symbolic names: each world gives every name its own uuid. */
export interface LessonSpec {
  booking: string;
  instructor: string;
  student: string;
  /** Cents; 8000 unless said. */
  price?: number;
  /** Minutes before the clock's now; 60 and 120 unless said. */
  completedMinAgo?: number;
  startedMinAgo?: number;
  /** Sent as lesson-completed v1 (no start: never qualifies). */
  v1?: boolean;
  /** Ids written in upper case in the payload. */
  upperCase?: boolean;
  /** Names the envelope id: the same name twice is one message delivered twice. */
  event?: string;
}

export interface Scenario {
  name: string;
  /** program_config rows for this scenario, over the migrations' defaults. */
  settings?: Record<string, unknown>;
  /** Founding bonuses left; 100 unless said. */
  foundingSpotsLeft?: number;
  instructorReferees?: Array<{
    id: string;
    referrer: string;
    status: 'pending_live' | 'pending_lesson' | 'paid';
    live?: boolean;
  }>;
  studentReferees?: Array<{ id: string; referrer: string; verified?: boolean }>;
  /** Lessons applied before, in another batch. */
  priorLessons?: LessonSpec[];
  lessons: LessonSpec[];
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const IS_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * One copy of a scenario: its own ids, the program settings and counters reset to the same
 * start, and a snapshot of everything the lessons changed with ids given back their names.
 */
export class World {
  private readonly ids = new Map<string, string>();
  private outboxFrom = 0;
  private unnamedEvents = 0;

  constructor(
    private readonly db: DataSource,
    private readonly clock: Clock,
    private readonly defaults: ReadonlyArray<{ key: string; value: unknown }>,
  ) {}

  id(name: string): string {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = randomUUID();
      this.ids.set(name, id);
    }
    return id;
  }

  async seed(s: Scenario): Promise<void> {
    const now = this.clock.now();
    for (const { key, value } of this.defaults) {
      const v = key in (s.settings ?? {}) ? s.settings![key] : value;
      await this.db.query('UPDATE program_config SET value = $2 WHERE key = $1', [
        key,
        JSON.stringify(v),
      ]);
    }
    await this.db.query('UPDATE program_counters SET value = 0');
    await this.db.query(
      `UPDATE program_config SET value = to_jsonb($1::int) WHERE key = 'founding_instructor_cap'`,
      [s.foundingSpotsLeft ?? 100],
    );
    const attribute = (referee: string, referrer: string, program: string) =>
      this.db.query(
        `INSERT INTO attributions (referee_id, referrer_id, code, program, outcome, decided_at)
         VALUES ($1, $2, 'SEEDED', $3, 'attributed', $4)`,
        [this.id(referee), this.id(referrer), program, now],
      );
    for (const r of s.instructorReferees ?? []) {
      await attribute(r.id, r.referrer, 'instructor');
      const wentLiveAt = r.live ? new Date(now.getTime() - 86_400_000) : null;
      await this.db.query(
        `INSERT INTO instructor_referrals (referee_id, referrer_id, status, attributed_at,
           went_live_at, updated_at) VALUES ($1, $2, $3, $4, $5, $4)`,
        [
          this.id(r.id),
          this.id(r.referrer),
          r.status,
          now,
          r.status === 'pending_live' ? null : wentLiveAt,
        ],
      );
      if (wentLiveAt) {
        await this.db.query(
          'INSERT INTO instructor_milestones (instructor_id, went_live_at) VALUES ($1, $2)',
          [this.id(r.id), wentLiveAt],
        );
      }
    }
    for (const r of s.studentReferees ?? []) {
      await attribute(r.id, r.referrer, 'student');
      const verified = r.verified ?? true;
      await this.db.query(
        `INSERT INTO referral_users (user_id, role, registered_at, email_verified, phone_verified)
         VALUES ($1, 'student', $2, $3, $3)`,
        [this.id(r.id), now, verified],
      );
    }
    const [{ seq }] = await this.db.query<Array<{ seq: string | null }>>(
      'SELECT max(seq) AS seq FROM outbox_messages',
    );
    this.outboxFrom = Number(seq ?? 0);
  }

  events(lessons: readonly LessonSpec[]): LessonEvent[] {
    const now = this.clock.now().getTime();
    return lessons.map((l) => {
      const id = (name: string) => (l.upperCase ? this.id(name).toUpperCase() : this.id(name));
      const completedAt = new Date(now - (l.completedMinAgo ?? 60) * 60_000).toISOString();
      const base = {
        bookingId: id(l.booking),
        studentId: id(l.student),
        instructorId: id(l.instructor),
        price: { amountCents: l.price ?? 8000, currency: 'USD' as const },
        completedBy: 'instructor' as const,
        completedAt,
      };
      const startsAt = new Date(now - (l.startedMinAgo ?? 120) * 60_000).toISOString();
      return createEnvelope<LessonEvent['payload']>({
        id: this.id(l.event ?? `event ${++this.unnamedEvents}`),
        type: Topics.LessonCompleted,
        version: l.v1 ? 1 : 2,
        producer: 'test',
        key: base.bookingId,
        occurredAt: new Date(now),
        payload: l.v1 ? base : { ...base, startsAt },
      });
    });
  }

  /** What the lessons changed, comparable across worlds: names for this world's ids, #n for new ones. */
  async snapshot(): Promise<unknown> {
    const ids = [...this.ids.values()];
    const q = (sql: string) => this.db.query<Array<Record<string, unknown>>>(sql, [ids]);
    const state = {
      instructorReferrals: await q(
        `SELECT referee_id, referrer_id, status, went_live_at, first_lesson_booking_id,
           first_lesson_at, reward_id, payout_id, bonus_cents, currency, founding, updated_at
         FROM instructor_referrals WHERE referee_id = ANY($1::uuid[])`,
      ),
      rewards: await q(
        `SELECT referee_id, referrer_id, kind, status, reason, amount_cents, currency, booking_id,
           phase, decided_at, hold_until, review_expires_at, earned, reward_id
         FROM student_rewards WHERE referee_id = ANY($1::uuid[])`,
      ),
      instructorLessons: await q(
        `SELECT booking_id, instructor_id, student_id, price_cents, starts_at, completed_at
         FROM instructor_lessons WHERE booking_id = ANY($1::uuid[])`,
      ),
      studentLessons: await q(
        `SELECT booking_id, student_id, instructor_id, price_cents, starts_at, completed_at,
           cancelled_at FROM student_lessons WHERE booking_id = ANY($1::uuid[])`,
      ),
      appliedMessages: await q(
        'SELECT count(*)::int AS n FROM inbox_messages WHERE message_id = ANY($1::uuid[])',
      ),
      counters: await this.db.query<unknown[]>(
        'SELECT name, value FROM program_counters ORDER BY name',
      ),
      outbox: await this.db.query<unknown[]>(
        `SELECT topic, envelope->'payload' AS payload, envelope->>'occurredAt' AS occurred_at,
           envelope->>'key' AS key FROM outbox_messages WHERE seq > $1 ORDER BY seq`,
        [this.outboxFrom],
      ),
    };
    // Names first, so rows sort the same in every world; then new ids numbered as they appear.
    const names = new Map([...this.ids].map(([name, id]) => [id.toLowerCase(), name]));
    const named = JSON.parse(
      JSON.stringify(state).replace(UUID, (id) => names.get(id.toLowerCase()) ?? id),
    ) as Record<string, Array<Record<string, unknown>>>;
    for (const [table, rows] of Object.entries(named)) if (table !== 'outbox') rows.sort(byNames);
    const fresh = new Map<string, string>();
    return JSON.parse(
      JSON.stringify(named).replace(UUID, (id) => {
        if (!fresh.has(id)) fresh.set(id, `#${fresh.size + 1}`);
        return fresh.get(id)!;
      }),
    );
  }
}

/** Rows by their columns other than new ids, which differ between worlds. */
function byNames(a: Record<string, unknown>, b: Record<string, unknown>): number {
  const key = (r: Record<string, unknown>) =>
    JSON.stringify(Object.values(r).filter((v) => typeof v !== 'string' || !IS_UUID.test(v)));
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
}
