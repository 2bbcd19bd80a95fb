import type { JsonSchema } from './json-schema';
import { ADMIN_SCHEMAS } from './schemas/admin';
import { BOOKINGS_SCHEMAS } from './schemas/bookings';
import { PLATFORM_SCHEMAS } from './schemas/platform';
import { REFERRALS_SCHEMAS } from './schemas/referrals';
import { WALLET_PAYOUTS_SCHEMAS } from './schemas/wallet-payouts';

/** Every named schema of the API: request bodies, answers and the one error body. */
export const SCHEMAS: Record<string, JsonSchema> = {
  ...PLATFORM_SCHEMAS,
  ...BOOKINGS_SCHEMAS,
  ...REFERRALS_SCHEMAS,
  ...ADMIN_SCHEMAS,
  ...WALLET_PAYOUTS_SCHEMAS,
};
