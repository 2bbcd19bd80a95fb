// What the platform hands its services once the infrastructure is up: one settings object,
// from which each service's (and migration's) environment is derived. No I/O.
import {
  Env,
  FAKE_STRIPE_SECRET_KEY,
  PlatformPlan,
  PlatformSettings,
  ServiceName,
  StripeSettings,
  buildServiceEnv,
} from './platform-env';

export interface RunningInfrastructure {
  /** Per data service, its connection as its own role (from provisioning). */
  databaseUrls: Record<string, string>;
  kafkaBrokers: string;
  /** Set when the fake Stripe runs; the real Stripe's settings then come from the environment. */
  fakeStripeUrl: string | undefined;
  /** The SMTP server bookings sends through, and the file its local SMS sender writes. */
  mail?: { smtpUrl: string; smsLogFile: string };
}

export interface ServiceSettings extends PlatformSettings {
  envOf(service: ServiceName): Record<string, string>;
}

export function platformSettings(
  plan: PlatformPlan,
  env: Env,
  secrets: Record<string, string>,
  infra: RunningInfrastructure,
): ServiceSettings {
  const stripe: StripeSettings =
    infra.fakeStripeUrl !== undefined
      ? {
          secretKey: FAKE_STRIPE_SECRET_KEY,
          webhookSecret: secrets.STRIPE_WEBHOOK_SECRET,
          apiUrl: infra.fakeStripeUrl,
        }
      : {
          secretKey: env.STRIPE_SECRET_KEY as string,
          webhookSecret: env.STRIPE_WEBHOOK_SECRET as string,
          apiUrl: env.STRIPE_API_URL || undefined,
        };
  const settings: PlatformSettings = {
    ports: plan.ports,
    databaseUrls: {
      bookings: infra.databaseUrls.bookings,
      referrals: infra.databaseUrls.referrals,
      wallet: infra.databaseUrls.wallet,
      payouts: infra.databaseUrls.payouts,
    },
    kafkaBrokers: infra.kafkaBrokers,
    jwtSecret: secrets.JWT_SECRET,
    checkoutQuoteSecret: secrets.CHECKOUT_QUOTE_SECRET,
    internalAuthKey: secrets.INTERNAL_AUTH_KEY,
    stripe,
    ...(infra.mail ? { mail: infra.mail } : {}),
  };
  return { ...settings, envOf: (service) => buildServiceEnv(service, settings, env) };
}
