import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { lockReferee } from '../instructor-program/lock-referee';
import { LessonRun, reachedLessons } from '../program/lesson-run';
import { CompletedLesson, firstQualifyingLesson } from '../program/qualifying-lesson';
import { recordPaymentCards, rewardsSharingACard } from '../program/payment-cards';
import { DecideStudentReward } from './decide-student-reward.usecase';
import { StudentReward } from './student-reward.entity';
import { VoidStudentReward } from './void-student-reward.usecase';
import { readStudentProgramSettings } from './student-program-settings';
import { AwaitingStudent, studentsAwaitingReward } from './student-lessons';

/** What a run's prelude found for the student program: who can still earn their referrer a reward. */
export interface StudentLessonsRun {
  /** By student id (lower case); a student leaves once a reward is decided. */
  awaiting: Map<string, AwaitingStudent>;
  /** The program's minimum lesson price, read when someone awaits. */
  lessonMinimumCents: number;
}

/**
 * A completed lesson, seen from the student's side: kept (which one qualifies is decided by the
 * shared rule once everything is known), then the student's referrer's reward is decided if it
 * now can be.
 */
@Injectable()
export class RecordStudentLesson {
  constructor(
    private readonly decide: DecideStudentReward,
    private readonly voider: VoidStudentReward,
  ) {}

  /**
   * Keeps the cards the lessons were paid with (before any decision of the run reads them), and
   * voids a held or reviewed reward whose referrer and referee turn out to share a card: the
   * self-referral is refused whichever of the two paid with it first.
   */
  async recordCards(
    tx: EntityManager,
    lessons: readonly CompletedLesson[],
    now: Date,
  ): Promise<void> {
    const withNewCards = await recordPaymentCards(tx, lessons);
    for (const rewardId of await rewardsSharingACard(tx, withNewCards)) {
      const reward = await tx.findOne(StudentReward, {
        where: { rewardId },
        lock: { mode: 'pessimistic_write' },
      });
      if (reward) await this.voider.execute(tx, reward, 'SELF_REFERRAL_PAYMENT', now);
    }
  }

  /** One lesson alone: its student's lock, the lesson, the decision. */
  async execute(tx: EntityManager, lesson: CompletedLesson, now: Date): Promise<void> {
    await lockReferee(tx, lesson.studentId);
    await tx.query(
      `INSERT INTO student_lessons (booking_id, student_id, instructor_id, price_cents, starts_at,
         completed_at)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (booking_id) DO NOTHING`,
      [
        lesson.bookingId,
        lesson.studentId,
        lesson.instructorId,
        lesson.priceCents,
        lesson.startsAt,
        lesson.completedAt,
      ],
    );
    await this.decide.execute(tx, lesson.studentId, now);
  }

  /**
   * A run's prelude, once the run's locks are taken and its lessons kept (lockAndRecordLessonRun):
   * one read of the run's students still awaiting a decision, and the settings only if any is.
   */
  async prepareRun(
    tx: EntityManager,
    lessons: readonly CompletedLesson[],
  ): Promise<StudentLessonsRun> {
    const awaiting = await studentsAwaitingReward(
      tx,
      lessons.map((l) => l.studentId),
    );
    if (awaiting.size === 0) return { awaiting, lessonMinimumCents: 0 };
    const { lessonMinimumCents } = await readStudentProgramSettings(tx);
    return { awaiting, lessonMinimumCents };
  }

  /**
   * The lesson's turn in a prepared run: the decision only for a student still awaiting one
   * whose lessons reached so far include a qualifying one (otherwise execute would decide
   * nothing), so most lessons cost no statement here.
   */
  async executeInRun(
    tx: EntityManager,
    lesson: CompletedLesson,
    now: Date,
    run: LessonRun,
    prepared: StudentLessonsRun,
  ): Promise<void> {
    const studentId = lesson.studentId.toLowerCase();
    const student = prepared.awaiting.get(studentId);
    if (student === undefined) return;
    const reached = reachedLessons(student.lessons, run.studentLessonsNotReached);
    const rule = { minimumPriceCents: prepared.lessonMinimumCents, referrerId: student.referrerId };
    if (firstQualifyingLesson(reached, rule) === undefined) return;
    const decided = await this.decide.execute(tx, studentId, now, run.studentLessonsNotReached);
    if (decided !== undefined) prepared.awaiting.delete(studentId);
  }
}
