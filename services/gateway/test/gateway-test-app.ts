import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  configureHttp,
  createHttpAdapter,
  httpPlatformOf,
  loadConfig,
  platformOfApp,
  type Role,
} from '@rewards/service-kit';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppModule } from '../src/app.module';
import { signAccessToken } from '../src/auth/access-token';
import { GatewayConfig } from '../src/config/gateway.config';
import { mapBodyParserError } from '../src/http/body-errors';

// Shared by the gateway's specs: the app as main.ts builds it, and tiny in-process upstreams.

const TEST_SECRET = 'test-only-secret-with-at-least-32-characters';
const TEST_ISSUER = 'rewards-platform';
const TEST_AUDIENCE = 'rewards-api';
export const TEST_INTERNAL_AUTH_KEY = 'test-only-internal-key-of-at-least-32-chars';

export function testConfig(env: Record<string, string> = {}): GatewayConfig {
  return loadConfig(GatewayConfig, {
    JWT_SECRET: TEST_SECRET,
    INTERNAL_AUTH_KEY: TEST_INTERNAL_AUTH_KEY,
    NODE_ENV: 'test',
    ...env,
  });
}

export async function startGateway(config: GatewayConfig): Promise<INestApplication> {
  const module = AppModule.forRoot(config);
  const moduleRef = await Test.createTestingModule({ imports: [module] }).compile();
  const app = moduleRef.createNestApplication(createHttpAdapter(httpPlatformOf(module)), {
    logger: false,
    rawBody: true,
  });
  configureHttp(app, mapBodyParserError);
  await app.init();
  if (platformOfApp(app) === 'fastify') {
    // Fastify answers only once ready (supertest's requests would otherwise hang).
    await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
  }
  return app;
}

export function tokenFor(
  userId: string,
  roles: Role[],
  overrides: { expiresInSeconds?: number; secret?: string } = {},
): string {
  const now = Math.floor(Date.now() / 1000);
  return signAccessToken(
    {
      sub: userId,
      roles,
      iss: TEST_ISSUER,
      aud: TEST_AUDIENCE,
      iat: now,
      exp: now + (overrides.expiresInSeconds ?? 600),
    },
    overrides.secret ?? TEST_SECRET,
  );
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

interface UpstreamReply {
  status: number;
  body: string;
  contentType?: string;
  /** An array sends the header once per value (Set-Cookie). */
  headers?: Record<string, string | string[]>;
}

export interface FakeUpstream {
  url: string;
  received: ReceivedRequest[];
  /** What the next requests are answered with; `hang` never answers. */
  reply: UpstreamReply | 'hang';
  close(): Promise<void>;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

export async function startFakeUpstream(): Promise<FakeUpstream> {
  const fake: Omit<FakeUpstream, 'url' | 'close'> = {
    received: [],
    reply: { status: 200, body: '{"ok":true}', contentType: 'application/json; charset=utf-8' },
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      fake.received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const reply = fake.reply;
      if (reply === 'hang') return;
      res.statusCode = reply.status;
      if (reply.contentType !== undefined) res.setHeader('content-type', reply.contentType);
      for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
      res.end(reply.body);
    });
  });
  const url = await listen(server);
  return Object.assign(fake, { url, close: () => close(server) });
}

/** A URL nothing listens on: the port was just released. */
export async function unusedUrl(): Promise<string> {
  const server = createServer();
  const url = await listen(server);
  await close(server);
  return url;
}
