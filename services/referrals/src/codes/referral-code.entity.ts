import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'referral_codes' })
export class ReferralCode {
  /** Upper-case; looked up case-insensitively by upper-casing the input. */
  @PrimaryColumn('text')
  code!: string;

  @Column('uuid', { name: 'user_id' })
  userId!: string;

  @Column('text', { name: 'owner_role' })
  ownerRole!: 'student' | 'instructor';

  @Column('boolean')
  enabled!: boolean;

  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;
}
