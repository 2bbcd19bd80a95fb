import { Column, Entity, PrimaryColumn } from 'typeorm';

export type AccountRole = 'student' | 'instructor';

@Entity({ name: 'accounts' })
export class Account {
  /** The user id from the identity provider (the token's subject). */
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text')
  role!: AccountRole;

  @Column('text')
  email!: string;

  @Column('text', { name: 'display_name' })
  displayName!: string;

  @Column('text', { name: 'referral_code', nullable: true })
  referralCode!: string | null;

  /** E.164; set when the user verifies it. */
  @Column('text', { nullable: true })
  phone!: string | null;

  @Column('boolean', { name: 'email_verified' })
  emailVerified!: boolean;

  @Column('boolean', { name: 'phone_verified' })
  phoneVerified!: boolean;

  /** Stripe connected account that receives cash payouts. */
  @Column('text', { name: 'stripe_account_id', nullable: true })
  stripeAccountId!: string | null;

  @Column('timestamptz', { name: 'live_at', nullable: true })
  liveAt!: Date | null;

  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt!: Date;
}
