import { PLATFORM_ERRORS, type PlatformErrorCode, type Role } from '@rewards/service-kit';
import type { ProxyRoute } from '../proxy/routes';
import type { JsonSchema } from './json-schema';
import { ROUTE_DOCS, type DocumentedError, type RouteDoc } from './route-docs';
import { SCHEMAS } from './schemas';

type Operation = Record<string, unknown>;
export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, JsonSchema>;
    securitySchemes: Record<string, unknown>;
  };
}

const schemaRef = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const platform = (code: PlatformErrorCode): DocumentedError => ({
  status: PLATFORM_ERRORS[code].status,
  code,
  when: PLATFORM_ERRORS[code].meaning,
});

/** The platform refusals a route can answer, from what the route is. */
function platformErrors(route: ProxyRoute, hasBody: boolean): DocumentedError[] {
  const codes: PlatformErrorCode[] = ['VALIDATION_FAILED', 'ROUTE_NOT_FOUND', 'RATE_LIMITED'];
  if (hasBody) codes.push('MALFORMED_REQUEST', 'PAYLOAD_TOO_LARGE');
  if (route.access !== 'public') codes.push('UNAUTHENTICATED');
  if (Array.isArray(route.access)) codes.push('FORBIDDEN');
  codes.push('UPSTREAM_UNAVAILABLE', 'SERVICE_UNAVAILABLE', 'UPSTREAM_TIMEOUT');
  return codes.map(platform);
}

function errorResponses(errors: readonly DocumentedError[]): Record<string, unknown> {
  const byStatus = new Map<number, DocumentedError[]>();
  for (const e of errors) byStatus.set(e.status, [...(byStatus.get(e.status) ?? []), e]);
  return Object.fromEntries(
    [...byStatus.entries()]
      .sort(([a], [b]) => a - b)
      .map(([status, list]) => [
        String(status),
        {
          description: list.map((e) => `${e.code}: ${e.when}`).join('; '),
          'x-error-codes': list.map((e) => e.code),
          ...(status === 429 || status === 503
            ? { headers: { 'Retry-After': { schema: { type: 'integer' } } } }
            : {}),
          content: { 'application/json': { schema: schemaRef('ApiError') } },
        },
      ]),
  );
}

export const openApiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}');

function operation(route: ProxyRoute, doc: RouteDoc | undefined): Operation {
  const hasBody = route.method !== 'GET' && route.method !== 'DELETE';
  const params = [...route.path.matchAll(/:(\w+)/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  const query = Object.entries(doc?.query ?? {}).map(([name, schema]) => ({
    name,
    in: 'query',
    required: false,
    schema,
  }));
  const roles = Array.isArray(route.access) ? (route.access as readonly Role[]) : undefined;
  const success = doc?.response ?? { status: 200, schema: 'Acknowledged', description: 'answer' };
  return {
    operationId:
      doc?.operationId ?? `${route.method.toLowerCase()}${route.path.replace(/\W+/g, '_')}`,
    summary: doc?.summary ?? 'undocumented',
    ...(doc ? {} : { 'x-undocumented': true }),
    tags: [route.upstream],
    security: route.access === 'public' ? [] : [{ bearer: [] }],
    ...(roles ? { 'x-roles': roles } : {}),
    ...(params.length + query.length > 0 ? { parameters: [...params, ...query] } : {}),
    ...(hasBody
      ? {
          requestBody: {
            required: doc?.request !== undefined,
            content: {
              'application/json': {
                schema: doc?.request ? schemaRef(doc.request) : { type: 'object' },
                ...(doc?.requestExample === undefined ? {} : { example: doc.requestExample }),
              },
            },
          },
        }
      : {}),
    responses: {
      [String(success.status)]: {
        description: success.description,
        ...(success.headers
          ? {
              headers: Object.fromEntries(
                Object.entries(success.headers).map(([name, description]) => [
                  name,
                  { description, schema: { type: 'string' } },
                ]),
              ),
            }
          : {}),
        // A redirect has no body: the browser follows it.
        ...(success.schema === undefined
          ? {}
          : {
              content: {
                'application/json': {
                  schema: schemaRef(success.schema),
                  ...(success.example === undefined ? {} : { example: success.example }),
                },
              },
            }),
      },
      ...errorResponses([...platformErrors(route, hasBody), ...(doc?.errors ?? [])]),
    },
  };
}

const DEV_TOKEN_OPERATION: Operation = {
  operationId: 'createDevToken',
  summary: 'Mints a token for local development (only when AUTH_DEV_TOKENS=true)',
  tags: ['auth'],
  security: [],
  requestBody: {
    required: true,
    content: {
      'application/json': { schema: schemaRef('DevTokenRequest'), example: { role: 'student' } },
    },
  },
  responses: {
    '200': {
      description: 'a signed token',
      content: { 'application/json': { schema: schemaRef('DevToken') } },
    },
    ...errorResponses([
      platform('VALIDATION_FAILED'),
      platform('FORBIDDEN'),
      platform('MALFORMED_REQUEST'),
      platform('PAYLOAD_TOO_LARGE'),
    ]),
  },
};

/** The OpenAPI 3.1 document of everything a client can call, built from the route table. */
export function buildOpenApiDocument(
  routes: readonly ProxyRoute[],
  options: { devTokens: boolean },
  docs: Record<string, RouteDoc> = ROUTE_DOCS,
): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  if (options.devTokens) paths['/auth/dev-token'] = { post: DEV_TOKEN_OPERATION };
  for (const route of routes) {
    const path = openApiPath(route.path);
    paths[path] = {
      ...paths[path],
      [route.method.toLowerCase()]: operation(route, docs[`${route.method} ${route.path}`]),
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Rewards platform API',
      version: '1',
      description:
        'Every error answers { error: { code, message, field?, details?, requestId } }. ' +
        'Signed-in routes take Authorization: Bearer <JWT>. Every route is rate-limited ' +
        '(429 with Retry-After).',
    },
    paths,
    components: {
      schemas: SCHEMAS,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
  };
}
