import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { lockReferee } from '../instructor-program/lock-referee';
import { CompletedLesson } from '../program/qualifying-lesson';
import { DecideStudentReward } from './decide-student-reward.usecase';

/**
 * A completed lesson, seen from the student's side: kept (which one qualifies is decided by the
 * shared rule once everything is known), then the student's referrer's reward is decided if it
 * now can be.
 */
@Injectable()
export class RecordStudentLesson {
  constructor(private readonly decide: DecideStudentReward) {}

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
}
