import { Column, Entity, PrimaryColumn } from 'typeorm';

export type BookingStatus = 'confirmed' | 'cancelled' | 'completed';

@Entity({ name: 'bookings' })
export class Booking {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'student_id' })
  studentId!: string;

  @Column('uuid', { name: 'instructor_id' })
  instructorId!: string;

  @Column('timestamptz', { name: 'starts_at' })
  startsAt!: Date;

  @Column('timestamptz', { name: 'ends_at' })
  endsAt!: Date;

  @Column('integer', { name: 'price_cents' })
  priceCents!: number;

  @Column('char', { length: 3 })
  currency!: string;

  @Column('text')
  status!: BookingStatus;

  @Column('timestamptz', { name: 'confirmed_at' })
  confirmedAt!: Date;

  @Column('timestamptz', { name: 'completed_at', nullable: true })
  completedAt!: Date | null;

  @Column('text', { name: 'completed_by', nullable: true })
  completedBy!: 'instructor' | 'system' | null;
}
