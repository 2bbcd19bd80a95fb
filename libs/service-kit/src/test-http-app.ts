import type { INestApplication } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { TestingModule } from '@nestjs/testing';
import { createHttpAdapter, platformOfApp, type HttpPlatform } from './http-platform';

// For service-kit's own specs, which run each HTTP behaviour on both servers.

export const HTTP_PLATFORMS: readonly HttpPlatform[] = ['express', 'fastify'];

export function createTestApp(ref: TestingModule, platform: HttpPlatform): INestApplication {
  return ref.createNestApplication(createHttpAdapter(platform), { logger: false, rawBody: true });
}

/** Initializes the app for supertest on getHttpServer(): Fastify answers only once ready. */
export async function initTestApp(app: INestApplication): Promise<void> {
  await app.init();
  if (platformOfApp(app) === 'fastify') {
    await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
  }
}
