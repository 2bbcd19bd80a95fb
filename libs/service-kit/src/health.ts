import {
  Controller,
  DynamicModule,
  Get,
  HttpCode,
  Inject,
  Module,
  Optional,
  Res,
} from '@nestjs/common';
import { ServiceLifecycle } from './lifecycle';

export interface HealthCheck {
  name: string;
  check: () => Promise<void>;
  /** false: reported, but a failure does not make the process not-ready (default true). */
  required?: boolean;
}

export const HEALTH_CHECKS = Symbol('HEALTH_CHECKS');

const withTimeout = async (p: Promise<void>, ms: number): Promise<void> => {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      p,
      new Promise<void>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
};

/** Express's response and Fastify's reply alike: send(object) answers it as JSON. */
interface JsonResponse {
  status(code: number): { send(body: unknown): unknown };
}

@Controller('health')
class HealthController {
  constructor(
    @Inject(HEALTH_CHECKS) private readonly checks: HealthCheck[],
    @Optional() private readonly lifecycle?: ServiceLifecycle,
  ) {}

  /** Liveness: the process answers. Dependencies are readiness' business, not a restart's. */
  @Get('live')
  @HttpCode(200)
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /**
   * Readiness: every dependency answers; 503 with each failure otherwise. From SIGTERM on, 503
   * without asking them: the process is leaving and must get no new traffic.
   */
  @Get('ready')
  async ready(@Res() res: JsonResponse): Promise<void> {
    const since = this.lifecycle?.drainingSince;
    if (since) {
      res.status(503).send({
        status: 'not_ready',
        checks: [
          { name: 'shutdown', status: 'down', error: `shutting down since ${since.toISOString()}` },
        ],
      });
      return;
    }
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
    res.status(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not_ready', checks: results });
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
