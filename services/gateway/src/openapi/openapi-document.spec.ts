import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { startGateway, testConfig } from '../../test/gateway-test-app';
import { GATEWAY_ROUTES } from '../proxy/routes';
import { buildOpenApiDocument, openApiPath } from './openapi-document';
import { ROUTE_DOCS } from './route-docs';
import { SCHEMAS } from './schemas';

const refs = (value: unknown): string[] =>
  typeof value !== 'object' || value === null
    ? []
    : Object.entries(value).flatMap(([k, v]) =>
        k === '$ref' && typeof v === 'string' ? [v] : refs(v),
      );

describe(buildOpenApiDocument.name, () => {
  const doc = buildOpenApiDocument(GATEWAY_ROUTES, { devTokens: true });

  it('documents every route of the table, with its answer type', () => {
    const missing = GATEWAY_ROUTES.map((r) => `${r.method} ${r.path}`).filter(
      (k) => ROUTE_DOCS[k] === undefined,
    );
    expect(missing).toEqual([]);
    for (const route of GATEWAY_ROUTES) {
      const op = doc.paths[openApiPath(route.path)][route.method.toLowerCase()] as {
        responses: Record<string, { content?: unknown; headers?: Record<string, unknown> }>;
        'x-undocumented'?: boolean;
      };
      expect(op['x-undocumented']).toBeUndefined();
      // A JSON answer with its schema, or a redirect saying where it goes.
      const [status, success] = Object.entries(op.responses).find(([s]) => /^[23]/.test(s))!;
      if (status.startsWith('2')) expect(success.content).toBeDefined();
      else expect(success.headers).toHaveProperty('Location');
    }
    expect(Object.keys(ROUTE_DOCS).sort()).toEqual(
      GATEWAY_ROUTES.map((r) => `${r.method} ${r.path}`).sort(),
    );
  });

  it('names the error codes each route may answer, by what the route is', () => {
    const booking = doc.paths['/bookings'].post as {
      responses: Record<string, { 'x-error-codes'?: string[] }>;
      security: unknown[];
    };
    expect(booking.security).toEqual([{ bearer: [] }]);
    expect(booking.responses['401']['x-error-codes']).toEqual(['UNAUTHENTICATED']);
    expect(booking.responses['403']['x-error-codes']).toEqual(['FORBIDDEN']);
    expect(booking.responses['413']['x-error-codes']).toEqual(['PAYLOAD_TOO_LARGE']);
    expect(booking.responses['422']['x-error-codes']).toEqual(
      expect.arrayContaining(['VALIDATION_FAILED', 'INSTRUCTOR_NOT_LIVE']),
    );
    expect(booking.responses['429']['x-error-codes']).toEqual(['RATE_LIMITED']);
    const publicRoute = doc.paths['/referrals/founding-status'].get as {
      responses: Record<string, unknown>;
      security: unknown[];
    };
    expect(publicRoute.security).toEqual([]);
    expect(publicRoute.responses['401']).toBeUndefined();
  });

  it('documents the share link as a redirect with its cookies', () => {
    const shareLink = doc.paths['/r/{slug}'].get as {
      security: unknown[];
      responses: Record<string, { content?: unknown; headers?: Record<string, unknown> }>;
    };
    expect(shareLink.security).toEqual([]);
    expect(shareLink.responses['302'].content).toBeUndefined();
    expect(Object.keys(shareLink.responses['302'].headers ?? {})).toEqual([
      'Location',
      'Set-Cookie',
    ]);
  });

  it('refers only to schemas it defines', () => {
    for (const ref of refs(doc)) {
      expect(SCHEMAS).toHaveProperty(ref.replace('#/components/schemas/', ''));
    }
  });
});

describe('the served API document', () => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await startGateway(testConfig());
  });
  afterAll(() => app.close());

  it('serves /openapi.json (3.1) and a docs page naming every operation', async () => {
    const json = await request(app.getHttpServer()).get('/openapi.json').expect(200);
    expect(json.body).toEqual(
      JSON.parse(JSON.stringify(buildOpenApiDocument(GATEWAY_ROUTES, { devTokens: false }))),
    );
    expect(json.body.openapi).toBe('3.1.0');
    expect(json.body.paths['/auth/dev-token']).toBeUndefined();
    const page = await request(app.getHttpServer()).get('/docs').expect(200);
    expect(page.headers['content-type']).toContain('text/html');
    for (const route of GATEWAY_ROUTES) {
      expect(page.text).toContain(`${route.method} ${openApiPath(route.path)}`);
    }
  });
});
