import { createEnvelope } from '../envelope';
import { CurrentEvents, parseEnvelope } from '../registry';
import { Topics } from '../topics';
import { LessonCompletedV1 } from './lesson-completed.v1';
import { LessonCompletedV2 } from './lesson-completed.v2';

const v1 = {
  bookingId: '0b0c1a52-7c0b-4a56-9f7d-3c5b8e0b9e01',
  studentId: '1b0c1a52-7c0b-4a56-9f7d-3c5b8e0b9e01',
  instructorId: '2b0c1a52-7c0b-4a56-9f7d-3c5b8e0b9e01',
  price: { amountCents: 8000, currency: 'USD' },
  completedBy: 'instructor',
  completedAt: '2026-11-21T11:00:00.000Z',
};
const v2 = { ...v1, startsAt: '2026-11-21T10:00:00.000Z' };

const raw = (version: number, payload: object) =>
  JSON.stringify(
    createEnvelope({
      type: Topics.LessonCompleted,
      version,
      producer: 'bookings',
      key: v1.bookingId,
      payload,
      occurredAt: new Date(v1.completedAt),
    }),
  );

describe(LessonCompletedV2.name, () => {
  it('is what producers publish on lesson-completed', () => {
    expect(CurrentEvents[Topics.LessonCompleted]).toEqual({
      version: 2,
      payload: LessonCompletedV2,
    });
  });

  it('carries when the lesson started', () => {
    const event = parseEnvelope(raw(2, v2), Topics.LessonCompleted);
    expect(event.payload).toBeInstanceOf(LessonCompletedV2);
    expect(event.payload).toMatchObject({ startsAt: '2026-11-21T10:00:00.000Z' });
  });

  it('is refused without a start time', () => {
    expect(() => parseEnvelope(raw(2, v1))).toThrow('startsAt');
  });

  it('leaves v1 readable beside it, without a start time', () => {
    const event = parseEnvelope(raw(1, v1), Topics.LessonCompleted);
    expect(event.version).toBe(1);
    expect(event.payload).toBeInstanceOf(LessonCompletedV1);
  });
});
