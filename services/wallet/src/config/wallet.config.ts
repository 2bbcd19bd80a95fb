import { DataServiceConfig, toInt } from '@rewards/service-kit';
import { IsInt, Matches, Max, Min } from 'class-validator';

export class WalletConfig extends DataServiceConfig {
  override PORT = 3003;

  /** How long unlocked credit stays spendable when its reward-unlocked carries no later date. */
  @toInt()
  @IsInt()
  @Min(1)
  @Max(120)
  CREDIT_LIFETIME_MONTHS: number = 6;

  /** How often due credit is expired and expiry reminders are sent (once per tick, all replicas). */
  @toInt()
  @IsInt()
  @Min(1000)
  CREDIT_EXPIRY_INTERVAL_MS: number = 60_000;

  /** Days before a lot expires that a credit-expiring reminder goes out, each once. */
  @Matches(/^[1-9][0-9]{0,2}(,[1-9][0-9]{0,2})*$/, {
    message: 'CREDIT_REMINDER_DAYS must be comma-separated day counts, e.g. 14,3',
  })
  CREDIT_REMINDER_DAYS: string = '14,3';

  /**
   * How long a checkout may hold credit before the booking is confirmed; a hold not captured by
   * then is released by the reservation sweep. Well above a quote's lifetime and a confirmation.
   */
  @toInt()
  @IsInt()
  @Min(60_000)
  RESERVATION_TTL_MS: number = 30 * 60_000;

  /** How often held reservations past their TTL are released (once per tick, all replicas). */
  @toInt()
  @IsInt()
  @Min(1000)
  RESERVATION_SWEEP_INTERVAL_MS: number = 60_000;
}

/** The reminder days, largest first, without repeats. */
export function reminderDays(config: Pick<WalletConfig, 'CREDIT_REMINDER_DAYS'>): number[] {
  const days = config.CREDIT_REMINDER_DAYS.split(',').map(Number);
  return [...new Set(days)].sort((a, b) => b - a);
}
