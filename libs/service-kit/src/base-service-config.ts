import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';
import { toInt } from './config-decorators';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

/** Variables every service reads: where it listens, how it logs and traces, its internal key. */
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

  /** Port of GET /metrics (Prometheus), never exposed through the gateway; 0 picks a free one. */
  @toInt()
  @IsInt()
  @Min(0)
  @Max(65535)
  METRICS_PORT: number = 9464;

  /**
   * OTLP/HTTP endpoint traces are exported to (e.g. http://otel-collector:4318); unset: no
   * tracing. Read by the tracing preload before boot, validated here.
   */
  @IsOptional()
  @Matches(/^https?:\/\/[^\s/]+(\/\S*)?$/, {
    message: 'OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s):// URL',
  })
  OTEL_EXPORTER_OTLP_ENDPOINT?: string = undefined;

  /** service.name of exported spans; defaults to the service (SERVICE in the image). */
  @IsOptional()
  @Matches(/^[a-z][a-z0-9-]*$/)
  OTEL_SERVICE_NAME?: string = undefined;

  /**
   * HS256 key shared by the gateway and the services only: the gateway signs each forwarded
   * call with it, services verify it and sign their calls to each other.
   */
  @IsString()
  @MinLength(32, { message: 'INTERNAL_AUTH_KEY must be at least 32 characters' })
  INTERNAL_AUTH_KEY!: string;
}
