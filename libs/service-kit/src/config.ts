import { plainToInstance, Transform } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  validateSync,
} from 'class-validator';

/** Thrown at boot when the environment is incomplete or wrong: fail fast, say what is missing. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Validates environment variables into a typed object. Class properties are named after the
 * variables; defaults are property initialisers; transforms turn strings into numbers.
 */
export function loadConfig<T extends object>(
  cls: new () => T,
  env: Record<string, string | undefined> = process.env,
): T {
  const defaults = new cls() as Record<string, unknown>;
  const plain: Record<string, unknown> = {};
  for (const key of Object.keys(defaults)) {
    const value = env[key];
    plain[key] = value === undefined || value === '' ? defaults[key] : value;
  }
  const config = plainToInstance(cls, plain, { exposeDefaultValues: true });
  const errors = validateSync(config, { forbidUnknownValues: true });
  if (errors.length > 0) {
    throw new ConfigError(
      errors.map((e) => {
        const value = plain[e.property];
        const shown = value === undefined ? 'missing' : `got ${JSON.stringify(value)}`;
        return `${e.property} (${shown}): ${Object.values(e.constraints ?? {}).join(', ')}`;
      }),
    );
  }
  return config;
}

export const toInt = () =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? Number(value) : value));

const BOOLEAN_WORDS: Record<string, boolean> = {
  true: true,
  '1': true,
  yes: true,
  false: false,
  '0': false,
  no: false,
};

/** Reads true/false/1/0/yes/no; anything else stays a string so @IsBoolean refuses a typo. */
export const toBool = () =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' ? (BOOLEAN_WORDS[value.toLowerCase()] ?? value) : value,
  );

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

/** Variables every service reads. */
export class BaseServiceConfig {
  @toInt()
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT: number = 0;

  @IsString()
  HOST: string = '127.0.0.1';

  @IsIn(['development', 'test', 'production'])
  NODE_ENV: string = 'development';

  @IsIn(LOG_LEVELS)
  LOG_LEVEL: LogLevelName = 'info';
}

/** Variables of a service that owns a schema and talks to Kafka. */
export class DataServiceConfig extends BaseServiceConfig {
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL!: string;

  @IsOptional()
  @Matches(/^[a-z][a-z0-9_]*$/)
  DATABASE_SCHEMA?: string = undefined;

  @Matches(/^[^,\s]+(,[^,\s]+)*$/, { message: 'KAFKA_BROKERS must be host:port[,host:port...]' })
  KAFKA_BROKERS!: string;

  @IsOptional()
  @IsString()
  KAFKA_CLIENT_ID?: string = undefined;

  @toInt()
  @IsInt()
  @Min(10)
  OUTBOX_POLL_INTERVAL_MS: number = 250;

  @toInt()
  @IsInt()
  @Min(1)
  CONSUMER_MAX_ATTEMPTS: number = 5;

  @toInt()
  @IsInt()
  @Min(0)
  CONSUMER_RETRY_BASE_MS: number = 200;
}
