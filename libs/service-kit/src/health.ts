import { Controller, DynamicModule, Get, HttpCode, Inject, Module, Res } from '@nestjs/common';
import type { Response } from 'express';

export interface HealthCheck {
  name: string;
  check: () => Promise<void>;
  /** false: reported, but a failure does not make the process not-ready (default true). */
  required?: boolean;
}

export const HEALTH_CHECKS = Symbol('HEALTH_CHECKS');

const withTimeout = (p: Promise<void>, ms: number) =>
  Promise.race([
    p,
    new Promise<void>((_, reject) =>
      setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms),
    ),
  ]);

@Controller('health')
class HealthController {
  constructor(@Inject(HEALTH_CHECKS) private readonly checks: HealthCheck[]) {}

  /** Liveness: the process answers. Dependencies are readiness' business, not a restart's. */
  @Get('live')
  @HttpCode(200)
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: every required dependency answers; 503 with each failure otherwise. */
  @Get('ready')
  async ready(@Res() res: Response): Promise<void> {
    const results = await Promise.all(
      this.checks.map(async (c) => {
        try {
          await withTimeout(c.check(), 2000);
          return { name: c.name, status: 'up' as const };
        } catch (err) {
          return {
            name: c.name,
            status: 'down' as const,
            ...(c.required === false ? { required: false } : {}),
            error: err instanceof Error ? err.message : String(err),
          };
        }
      }),
    );
    const ok = results.every((r) => r.status === 'up' || r.required === false);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not_ready', checks: results });
  }
}

@Module({})
export class HealthModule {
  static forRoot(options: {
    inject?: Array<string | symbol | (abstract new (...args: never[]) => unknown)>;
    useFactory: (...args: never[]) => HealthCheck[];
  }): DynamicModule {
    return {
      module: HealthModule,
      controllers: [HealthController],
      providers: [
        { provide: HEALTH_CHECKS, inject: options.inject ?? [], useFactory: options.useFactory },
      ],
    };
  }
}
