import { Column, Entity, PrimaryColumn } from 'typeorm';
import { VerificationChannel } from './verification-code';

/** One code sent to a user's email or phone; only its keyed hash is kept. */
@Entity({ name: 'verification_codes' })
export class VerificationCode {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'user_id' })
  userId!: string;

  @Column('text')
  channel!: VerificationChannel;

  /** The email address or phone number the code was sent to, and that it verifies. */
  @Column('text')
  destination!: string;

  @Column('text', { name: 'code_hash' })
  codeHash!: string;

  /** Wrong guesses so far. */
  @Column('integer')
  attempts!: number;

  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'expires_at' })
  expiresAt!: Date;

  @Column('timestamptz', { name: 'consumed_at', nullable: true })
  consumedAt!: Date | null;
}
