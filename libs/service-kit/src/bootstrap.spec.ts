import { ConsoleLogger, INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { configureHttp, withMetrics } from './bootstrap';
import { createHttpAdapter, HTTP_MIDDLEWARE, RawMiddleware } from './http-platform';

/** Keeps what the app logs as errors instead of printing it. */
class ErrorRecorder extends ConsoleLogger {
  readonly errors: string[] = [];
  override error(message: unknown, ...rest: unknown[]): void {
    this.errors.push([message, ...rest].map(String).join(' '));
  }
  override log(): void {}
  override debug(): void {}
  override verbose(): void {}
}

@Module({})
class WithoutMiddlewareModule {}

const seen: string[] = [];
const tagging: RawMiddleware = (_req, _res, next) => {
  seen.push('tagged');
  next();
};

@Module({ providers: [{ provide: HTTP_MIDDLEWARE, useValue: [tagging] }] })
class WithMiddlewareModule {}

/** Boots the way runService does: Nest's app proxy logs failed lookups when abortOnError is off. */
async function boot(module: new () => object, logger: ErrorRecorder): Promise<INestApplication> {
  const app = await NestFactory.create(withMetrics({ module }), createHttpAdapter('fastify'), {
    logger,
    abortOnError: false,
  });
  configureHttp(app);
  return app;
}

describe(configureHttp.name, () => {
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('logs no error when the service declares no HTTP_MIDDLEWARE', async () => {
    const logger = new ErrorRecorder();
    app = await boot(WithoutMiddlewareModule, logger);
    await app.init();
    expect(logger.errors).toEqual([]);
  });

  it('uses the middleware a service declares', async () => {
    const logger = new ErrorRecorder();
    app = await boot(WithMiddlewareModule, logger);
    await app.listen(0, '127.0.0.1');
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    await fetch(`${url}/anything`);
    expect(seen).toContain('tagged');
    expect(logger.errors).toEqual([]);
  });
});
