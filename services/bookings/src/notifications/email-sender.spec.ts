import { ConfigError, loadConfig } from '@rewards/service-kit';
import { BookingsConfig } from '../config/bookings.config';
import { smtpAuth, smtpEndpoint } from './email-sender';

describe(smtpEndpoint.name, () => {
  it('reads the host and port SMTP_URL names, with the protocol default when it names none', () => {
    expect(smtpEndpoint('smtp://mail.example.test:2525')).toEqual({
      host: 'mail.example.test',
      port: 2525,
      secure: false,
    });
    expect(smtpEndpoint('smtp://mail.example.test')).toMatchObject({ port: 587, secure: false });
    expect(smtpEndpoint('smtps://u:p@mail.example.test')).toEqual({
      host: 'mail.example.test',
      port: 465,
      secure: true,
    });
  });
});

describe(smtpAuth.name, () => {
  it('logs in with SMTP_USERNAME / SMTP_PASSWORD over a user in the URL', () => {
    expect(
      smtpAuth('smtps://old:pw@mail.example.test', { user: 'mailer', pass: 's3cret' }),
    ).toEqual({ auth: { user: 'mailer', pass: 's3cret' } });
  });

  it("falls back to the URL's user, decoded, and to no login without one", () => {
    expect(smtpAuth('smtp://us%40er:p%2Fw@mail.example.test:25', {})).toEqual({
      auth: { user: 'us@er', pass: 'p/w' },
    });
    expect(smtpAuth('smtp://mail.example.test:25', {})).toEqual({});
  });
});

describe(`${BookingsConfig.name} SMTP login`, () => {
  const env = {
    DATABASE_URL: 'postgres://svc_bookings:secret@127.0.0.1:5432/rewards',
    KAFKA_BROKERS: '127.0.0.1:9092',
    INTERNAL_AUTH_KEY: 'test-only-internal-key-of-at-least-32-chars',
    CHECKOUT_QUOTE_SECRET: 'test-only-checkout-quote-secret-of-32-chars',
    STRIPE_SECRET_KEY: 'sk_test_only',
  };

  it('takes a username and password from their own variables', () => {
    expect(
      loadConfig(BookingsConfig, { ...env, SMTP_USERNAME: 'mailer', SMTP_PASSWORD: 'pw' }),
    ).toMatchObject({ SMTP_USERNAME: 'mailer', SMTP_PASSWORD: 'pw' });
  });

  it('refuses a password without a username', () => {
    expect(() => loadConfig(BookingsConfig, { ...env, SMTP_PASSWORD: 'pw' })).toThrow(ConfigError);
    expect(() => loadConfig(BookingsConfig, { ...env, SMTP_PASSWORD: 'pw' })).toThrow(
      /SMTP_USERNAME must be set when SMTP_PASSWORD is/,
    );
  });
});
