import { UserRegisteredV1 } from '@rewards/contracts';
import { OutboxWriter } from '@rewards/messaging';
import { EntityManager } from 'typeorm';
import { attributeSignup } from '../attribution/attribute-signup';
import { Attribution, AttributionRefusal } from '../attribution/attribution.entity';
import {
  decideSignupAttribution,
  SignupDecision,
  SignupRefusal,
  signupSignalsOf,
} from './signup-attribution';

const COARSE: Record<SignupRefusal, AttributionRefusal> = {
  UNKNOWN_CODE: 'UNKNOWN_CODE',
  CODE_DISABLED: 'CODE_DISABLED',
  SELF_REFERRAL: 'SELF_REFERRAL',
  SELF_REFERRAL_DEVICE: 'SELF_REFERRAL',
  PROGRAM_MISMATCH: 'PROGRAM_MISMATCH',
  REFERRER_BANNED: 'REFERRER_BANNED',
};

/** Keeps what a signup tells about the user's device and network (hashes only). */
async function recordReferralUser(tx: EntityManager, signup: UserRegisteredV1): Promise<void> {
  await tx.query(
    `INSERT INTO referral_users (user_id, role, device_hash, ip_hash, registered_at)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (user_id) DO UPDATE SET role = EXCLUDED.role, device_hash = EXCLUDED.device_hash,
       ip_hash = EXCLUDED.ip_hash, registered_at = EXCLUDED.registered_at
     WHERE referral_users.registered_at IS NULL`,
    [
      signup.userId,
      signup.role,
      signup.deviceHash ?? null,
      signup.ipHash ?? null,
      signup.registeredAt,
    ],
  );
}

/**
 * Writes the click a signup's cookie proves (its signed token) when no replica has written it:
 * still in another replica's buffer, or lost with it. The device is the signup's (the same
 * browser); address and user agent are unknown here, and a later flush of the click fills them.
 */
async function recordCookieClick(tx: EntityManager, signup: UserRegisteredV1): Promise<void> {
  if (!signup.clickId || !signup.clickCode || !signup.clickedAt) return;
  await tx.query(
    `INSERT INTO clicks (id, code, device_hash, ip_hash, user_agent, clicked_at)
     VALUES ($1, $2, $3, NULL, NULL, $4) ON CONFLICT (id) DO NOTHING`,
    [signup.clickId, signup.clickCode, signup.deviceHash ?? null, signup.clickedAt],
  );
}

/**
 * Fixes a new user's attribution from everything the signup brought (clicks, device, typed
 * code), once. A refusal the existing rule does not know (same device as the referrer, a banned
 * referrer) is recorded here; everything else goes through attributeSignup with the credited code.
 */
export async function recordSignupAttribution(
  tx: EntityManager,
  outbox: OutboxWriter,
  signup: UserRegisteredV1,
  now: Date,
): Promise<Attribution | undefined> {
  await recordReferralUser(tx, signup);
  const existing = await tx.findOneBy(Attribution, { refereeId: signup.userId });
  if (existing) return existing;
  await recordCookieClick(tx, signup);
  const decision = await decideSignupAttribution(tx, signupSignalsOf(signup));
  if (!decision) return undefined;
  let attribution: Attribution | undefined;
  if (decision.refusal && !['UNKNOWN_CODE', 'CODE_DISABLED'].includes(decision.refusal)) {
    attribution = tx.create(Attribution, {
      refereeId: signup.userId,
      referrerId: null,
      code: decision.code,
      program: signup.role,
      outcome: 'refused',
      refusalReason: COARSE[decision.refusal],
      decidedAt: now,
    });
    await tx.insert(Attribution, attribution);
  } else {
    attribution = await attributeSignup(
      tx,
      outbox,
      { ...signup, referralCode: decision.code },
      now,
    );
  }
  await recordSource(tx, signup.userId, decision, 'signup');
  return attribution;
}

export async function recordSource(
  tx: EntityManager,
  refereeId: string,
  decision: Pick<SignupDecision, 'source' | 'clickId' | 'model' | 'refusal'>,
  how: 'signup' | 'claim',
): Promise<void> {
  await tx.query(
    `INSERT INTO attribution_sources (referee_id, source, click_id, model, refusal_detail)
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (referee_id) DO NOTHING`,
    [
      refereeId,
      how === 'claim' ? 'claim' : decision.source,
      decision.clickId,
      decision.model,
      decision.refusal ?? null,
    ],
  );
}
