import { Column, Entity, PrimaryColumn } from 'typeorm';
import { ReferralProgram } from '@rewards/contracts';

export type AttributionRefusal =
  'UNKNOWN_CODE' | 'CODE_DISABLED' | 'SELF_REFERRAL' | 'PROGRAM_MISMATCH' | 'REFERRER_BANNED';

/** The one, immutable decision about who referred a user. */
@Entity({ name: 'attributions' })
export class Attribution {
  @PrimaryColumn('uuid', { name: 'referee_id' })
  refereeId!: string;

  @Column('uuid', { name: 'referrer_id', nullable: true })
  referrerId!: string | null;

  @Column('text')
  code!: string;

  @Column('text')
  program!: ReferralProgram;

  @Column('text')
  outcome!: 'attributed' | 'refused';

  @Column('text', { name: 'refusal_reason', nullable: true })
  refusalReason!: AttributionRefusal | null;

  @Column('timestamptz', { name: 'decided_at' })
  decidedAt!: Date;
}
