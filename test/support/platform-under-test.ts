import {
  FakeStripe,
  migrate,
  RunningServiceApp,
  serviceTestEnv,
  startServiceApp,
  testInternalAuthKey,
} from '@rewards/testing';
import { Clock, loadConfig } from '@rewards/service-kit';
import { AppModule as BookingsApp } from '../../services/bookings/src/app.module';
import { mapBookingsError } from '../../services/bookings/src/bookings-error';
import { BookingsConfig } from '../../services/bookings/src/config/bookings.config';
import { bookingsDataSource } from '../../services/bookings/src/db/data-source';
import { AppModule as GatewayApp } from '../../services/gateway/src/app.module';
import { GatewayConfig } from '../../services/gateway/src/config/gateway.config';
import { mapBodyParserError } from '../../services/gateway/src/http/body-errors';
import { AppModule as PayoutsApp } from '../../services/payouts/src/app.module';
import { PayoutsConfig } from '../../services/payouts/src/config/payouts.config';
import { payoutsDataSource } from '../../services/payouts/src/db/data-source';
import { mapPayoutsError } from '../../services/payouts/src/payouts-error';
import { AppModule as ReferralsApp } from '../../services/referrals/src/app.module';
import { ReferralsConfig } from '../../services/referrals/src/config/referrals.config';
import { referralsDataSource } from '../../services/referrals/src/db/data-source';
import { mapReferralsError } from '../../services/referrals/src/referrals-error';
import { AppModule as WalletApp } from '../../services/wallet/src/app.module';
import { WalletConfig } from '../../services/wallet/src/config/wallet.config';
import { walletDataSource } from '../../services/wallet/src/db/data-source';
import { mapWalletError } from '../../services/wallet/src/wallet-error';

export interface PlatformUnderTest {
  gatewayUrl: string;
  walletUrl: string;
  bookingsUrl: string;
  stripe: FakeStripe;
  /** What Stripe signs webhooks with, as payouts is configured. */
  stripeWebhookSecret: string;
  /** The running referrals app (its jobs can be run at once after moving the clock). */
  referrals(): RunningServiceApp;
  /** The running wallet and bookings apps, for the same reason. */
  wallet(): RunningServiceApp;
  bookings(): RunningServiceApp;
  /** Each running service's GET /metrics URL (its own port, not reachable via the gateway). */
  metricsUrls(): Record<string, string>;
  /** Stops one service, as a crash or a deploy would; `restart` brings it back. */
  stop(service: 'payouts' | 'referrals'): Promise<void>;
  restart(service: 'payouts' | 'referrals'): Promise<void>;
  close(): Promise<void>;
}

/** The five services over real HTTP, on the run's Postgres and broker, with a fake Stripe. */
export interface PlatformOptions {
  /** One clock for every service, so a test can move time through holds and windows. */
  clock?: Clock;
  /** A clock for bookings alone (e.g. to expire checkout quotes). */
  bookingsClock?: Clock;
  /** Extra environment of bookings (e.g. SMTP_URL, SMS_LOG_FILE) and referrals. */
  bookingsEnv?: Record<string, string>;
  referralsEnv?: Record<string, string>;
  walletEnv?: Record<string, string>;
  payoutsEnv?: Record<string, string>;
  gatewayEnv?: Record<string, string>;
}

export async function startPlatform(options: PlatformOptions = {}): Promise<PlatformUnderTest> {
  const stripe = new FakeStripe();
  await stripe.start(0);
  const clock = options.clock ? { clock: options.clock } : {};

  const referralsConfig = loadConfig(
    ReferralsConfig,
    serviceTestEnv('referrals', options.referralsEnv ?? {}),
  );
  const walletConfig = loadConfig(WalletConfig, serviceTestEnv('wallet', options.walletEnv ?? {}));
  await migrate(referralsDataSource(referralsConfig.DATABASE_URL));
  await migrate(walletDataSource(walletConfig.DATABASE_URL));

  const ports = { referrals: 0, payouts: 0 };
  const startReferrals = () =>
    startServiceApp(
      ReferralsApp.forRoot(referralsConfig, clock),
      mapReferralsError,
      ports.referrals,
      'referrals',
    );
  const firstReferrals = await startReferrals();
  ports.referrals = Number(new URL(firstReferrals.url).port);

  const wallet = await startServiceApp(
    WalletApp.forRoot(walletConfig, clock),
    mapWalletError,
    0,
    'wallet',
  );
  const bookingsConfig = loadConfig(
    BookingsConfig,
    serviceTestEnv('bookings', {
      REFERRALS_URL: firstReferrals.url,
      WALLET_URL: wallet.url,
      // Generous: 30 checkouts of one wallet queue on its lock, on a loaded machine.
      WALLET_TIMEOUT_MS: '10000',
      CHECKOUT_QUOTE_SECRET: 'e2e-checkout-quote-secret-of-32-characters-at-least',
      STRIPE_SECRET_KEY: 'sk_test_e2e_bookings',
      STRIPE_API_URL: stripe.url,
      ...options.bookingsEnv,
    }),
  );
  await migrate(bookingsDataSource(bookingsConfig.DATABASE_URL));
  const bookings = await startServiceApp(
    BookingsApp.forRoot(
      bookingsConfig,
      options.bookingsClock !== undefined ? { clock: options.bookingsClock } : clock,
    ),
    mapBookingsError,
    0,
    'bookings',
  );
  const payoutsConfig = loadConfig(
    PayoutsConfig,
    serviceTestEnv('payouts', {
      STRIPE_SECRET_KEY: 'sk_test_e2e',
      STRIPE_WEBHOOK_SECRET: 'whsec_e2e',
      STRIPE_API_URL: stripe.url,
      BOOKINGS_URL: bookings.url,
      ...options.payoutsEnv,
    }),
  );
  await migrate(payoutsDataSource(payoutsConfig.DATABASE_URL));

  const starters = {
    referrals: startReferrals,
    payouts: () =>
      startServiceApp(PayoutsApp.forRoot(payoutsConfig), mapPayoutsError, ports.payouts, 'payouts'),
  };
  const running: Record<'referrals' | 'payouts', RunningServiceApp | undefined> = {
    referrals: firstReferrals,
    payouts: await starters.payouts(),
  };
  ports.payouts = Number(new URL(running.payouts!.url).port);
  const urls = () => ({
    BOOKINGS_URL: bookings.url,
    REFERRALS_URL: running.referrals!.url,
    WALLET_URL: wallet.url,
    PAYOUTS_URL: running.payouts!.url,
  });
  const gatewayConfig = loadConfig(GatewayConfig, {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    PORT: '0',
    JWT_SECRET: 'e2e-secret-that-is-long-enough-for-hs256',
    INTERNAL_AUTH_KEY: testInternalAuthKey(),
    AUTH_DEV_TOKENS: 'true',
    ...urls(),
    ...options.gatewayEnv,
  });
  const gateway = await startServiceApp(
    GatewayApp.forRoot(gatewayConfig),
    mapBodyParserError,
    0,
    'gateway',
  );

  return {
    gatewayUrl: gateway.url,
    walletUrl: wallet.url,
    bookingsUrl: bookings.url,
    stripe,
    stripeWebhookSecret: payoutsConfig.STRIPE_WEBHOOK_SECRET,
    referrals: () => {
      if (!running.referrals) throw new Error('referrals is stopped');
      return running.referrals;
    },
    wallet: () => wallet,
    bookings: () => bookings,
    metricsUrls: () => {
      const apps = { gateway, bookings, wallet, ...running };
      return Object.fromEntries(
        Object.entries(apps).flatMap(([name, app]) => (app ? [[name, app.metricsUrl]] : [])),
      );
    },
    stop: async (service) => {
      await running[service]?.close();
      running[service] = undefined;
    },
    // The gateway keeps its upstream URLs, so a restarted service comes back on its old port.
    restart: async (service) => {
      running[service] = await starters[service]();
    },
    close: async () => {
      await gateway.close();
      await wallet.close();
      await running.payouts?.close();
      await running.referrals?.close();
      await bookings.close();
      await stripe.stop();
    },
  };
}

/** The system time moved by an offset a test sets: quotes expire without waiting for them. */
export class OffsetClock extends Clock {
  offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
}
