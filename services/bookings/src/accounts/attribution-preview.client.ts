import { Inject, Injectable, Logger } from '@nestjs/common';
import { serviceCallHeaders } from '@rewards/service-kit';
import { BookingsConfig } from '../config/bookings.config';

export interface AttributionPreview {
  /** none: no referrer named; pending: it will count; refused: it will not (reason says why). */
  outcome: 'none' | 'pending' | 'refused' | 'unknown';
  code: string | null;
  reason: string | null;
  message: string | null;
}

export interface PreviewRequest {
  userId: string;
  role: 'student' | 'instructor';
  referralCode?: string;
  clickId?: string;
  clickCode?: string;
  clickedAt?: string;
  deviceHash?: string;
  registeredAt: string;
}

const UNKNOWN: AttributionPreview = { outcome: 'unknown', code: null, reason: null, message: null };

/**
 * Asks referrals, at signup, whether the referral will count. The answer is only shown to the
 * user: referrals decides for good when it consumes user-registered, by the same rule. When it
 * does not answer quickly, signup goes on and says it is not known yet.
 */
@Injectable()
export class AttributionPreviewClient {
  private readonly logger = new Logger(AttributionPreviewClient.name);

  constructor(@Inject(BookingsConfig) private readonly config: BookingsConfig) {}

  async preview(request: PreviewRequest): Promise<AttributionPreview> {
    try {
      const res = await fetch(`${this.config.REFERRALS_URL}/internal/attribution/preview`, {
        method: 'POST',
        // Signed as bookings: referrals answers this route to no one else.
        headers: {
          ...serviceCallHeaders({
            from: 'bookings',
            to: 'referrals',
            key: this.config.INTERNAL_AUTH_KEY,
          }),
          'content-type': 'application/json',
        },
        body: JSON.stringify(request),
        signal: AbortSignal.timeout(2000),
      });
      if (!res.ok) throw new Error(`referrals answered ${res.status}`);
      return (await res.json()) as AttributionPreview;
    } catch (err) {
      this.logger.warn({ message: 'attribution preview unavailable', err: String(err) });
      return UNKNOWN;
    }
  }
}
