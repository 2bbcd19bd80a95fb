import { UserRole } from '@rewards/contracts';
import { EntityManager } from 'typeorm';
import { normalizeCode } from '../codes/issue-referral-code';
import { ReferralCode } from '../codes/referral-code.entity';
import { AttributionModel, readAttributionSettings } from './attribution-settings';

/** What a signup brings that can name a referrer. */
export interface SignupSignals {
  userId: string;
  role: UserRole;
  /** Typed in the signup form. */
  referralCode?: string;
  /** From the attribution cookie. */
  clickId?: string;
  /** The cookie's click, as its signed token tells it: counts even when no row holds it yet. */
  click?: { code: string; at: Date };
  deviceHash?: string;
  registeredAt: Date;
}

export type SignupRefusal =
  | 'UNKNOWN_CODE'
  | 'CODE_DISABLED'
  | 'SELF_REFERRAL'
  | 'SELF_REFERRAL_DEVICE'
  | 'PROGRAM_MISMATCH'
  | 'REFERRER_BANNED';

export interface SignupDecision {
  code: string;
  referrerId: string | null;
  source: 'click' | 'code';
  clickId: string | null;
  model: AttributionModel;
  refusal?: SignupRefusal;
}

interface Touch {
  code: string;
  at: Date;
  source: 'click' | 'code';
  clickId: string | null;
}

/** The signals of a signup as user-registered (or bookings' preview request) states them. */
export function signupSignalsOf(signup: {
  userId: string;
  role: UserRole;
  referralCode?: string;
  clickId?: string;
  clickCode?: string;
  clickedAt?: string;
  deviceHash?: string;
  registeredAt: string;
}): SignupSignals {
  return {
    userId: signup.userId,
    role: signup.role,
    referralCode: signup.referralCode,
    clickId: signup.clickId,
    click:
      signup.clickId && signup.clickCode && signup.clickedAt
        ? { code: signup.clickCode, at: new Date(signup.clickedAt) }
        : undefined,
    deviceHash: signup.deviceHash,
    registeredAt: new Date(signup.registeredAt),
  };
}

/** Among the touches inside the window, the one the program's model credits. */
export function creditedTouch(
  touches: readonly Touch[],
  model: AttributionModel,
): Touch | undefined {
  const sorted = [...touches].sort((a, b) => a.at.getTime() - b.at.getTime());
  return model === 'first_click' ? sorted[0] : sorted[sorted.length - 1];
}

/**
 * Which code a signup is attributed to, and whether that is refused. The touches are the clicks
 * of the cookie's click id or of the same device within the attribution window before signup,
 * and a code typed at signup (a touch at signup time); the program's model (last click by
 * default, first click as the option) picks one. Reads only: the caller records the decision.
 */
export async function decideSignupAttribution(
  tx: EntityManager,
  signals: SignupSignals,
  options: { clicks: boolean } = { clicks: true },
): Promise<SignupDecision | undefined> {
  const settings = await readAttributionSettings(tx);
  const since = new Date(signals.registeredAt.getTime() - settings.windowDays * 86_400_000);
  const touches: Touch[] = [];
  if (options.clicks && (signals.clickId || signals.deviceHash)) {
    const rows = await tx.query<Array<{ id: string; code: string; clicked_at: Date }>>(
      `SELECT id, code, clicked_at FROM clicks
        WHERE (id = $1 OR device_hash = $2) AND clicked_at >= $3 AND clicked_at <= $4
        ORDER BY clicked_at LIMIT 500`,
      [signals.clickId ?? null, signals.deviceHash ?? null, since, signals.registeredAt],
    );
    for (const r of rows) {
      touches.push({ code: r.code, at: r.clicked_at, source: 'click', clickId: r.id });
    }
  }
  // The cookie's click not written yet (another replica's buffer) or lost with its replica.
  const { click, clickId } = signals;
  if (
    options.clicks &&
    click &&
    clickId &&
    !touches.some((t) => t.clickId === clickId) &&
    click.at.getTime() >= since.getTime() &&
    click.at.getTime() <= signals.registeredAt.getTime()
  ) {
    touches.push({ code: click.code, at: click.at, source: 'click', clickId });
  }
  if (signals.referralCode) {
    touches.push({
      code: normalizeCode(signals.referralCode),
      at: signals.registeredAt,
      source: 'code',
      clickId: null,
    });
  }
  const touch = creditedTouch(touches, settings.model);
  if (!touch) return undefined;
  const owner = await tx.findOneBy(ReferralCode, { code: touch.code });
  const decision: SignupDecision = {
    code: touch.code,
    referrerId: owner?.userId ?? null,
    source: touch.source,
    clickId: touch.clickId,
    model: settings.model,
  };
  const refusal = await refusalOf(tx, owner, signals);
  return refusal ? { ...decision, referrerId: null, refusal } : decision;
}

async function refusalOf(
  tx: EntityManager,
  owner: ReferralCode | null,
  signals: SignupSignals,
): Promise<SignupRefusal | undefined> {
  if (!owner) return 'UNKNOWN_CODE';
  if (!owner.enabled) return 'CODE_DISABLED';
  if (owner.userId === signals.userId) return 'SELF_REFERRAL';
  if (owner.ownerRole !== signals.role) return 'PROGRAM_MISMATCH';
  const [referrer] = await tx.query<Array<{ device_hash: string | null; banned_at: Date | null }>>(
    'SELECT device_hash, banned_at FROM referral_users WHERE user_id = $1',
    [owner.userId],
  );
  if (referrer?.banned_at) return 'REFERRER_BANNED';
  if (signals.deviceHash && referrer?.device_hash === signals.deviceHash) {
    return 'SELF_REFERRAL_DEVICE';
  }
  return undefined;
}
