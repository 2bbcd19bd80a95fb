import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildOpenApiDocument,
  openApiPath,
} from '../../services/gateway/src/openapi/openapi-document';
import { GATEWAY_ROUTES, type ProxyRoute } from '../../services/gateway/src/proxy/routes';
import { CONFORMANCE_COVERAGE, type ConformanceSpec } from './conformance-coverage';

const doc = buildOpenApiDocument(GATEWAY_ROUTES, { devTokens: true });
const specs = Object.keys(CONFORMANCE_COVERAGE) as ConformanceSpec[];
const operationOf = (route: Pick<ProxyRoute, 'method' | 'path'>) =>
  `${route.method} ${openApiPath(route.path)}`;

/** Routes of the table without a conformance-checked answer in any spec's list. */
function uncovered(
  routes: readonly Pick<ProxyRoute, 'method' | 'path'>[],
  coverage: Record<string, readonly string[]>,
): string[] {
  const checked = new Set(
    Object.values(coverage).flatMap((ops) => ops.map((op) => op.replace(/ \d{3}$/, ''))),
  );
  return routes.map(operationOf).filter((op) => !checked.has(op));
}

describe('API conformance coverage', () => {
  it('has at least one answer checked against the document for every gateway route', () => {
    expect(uncovered(GATEWAY_ROUTES, CONFORMANCE_COVERAGE)).toEqual([]);
  });

  it('names only operations and statuses the document has', () => {
    const unknown = specs.flatMap((spec) =>
      CONFORMANCE_COVERAGE[spec].filter((op) => {
        const [method, path, status] = op.split(' ');
        const operation = doc.paths[path]?.[method.toLowerCase()] as
          { responses: Record<string, unknown> } | undefined;
        return !operation?.responses[status];
      }),
    );
    expect(unknown).toEqual([]);
  });

  it.each(specs)('is asserted by test/%s.e2e-spec.ts', (spec) => {
    const file = join(__dirname, '..', `${spec}.e2e-spec.ts`);
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, 'utf8')).toContain(`expectConformance('${spec}',`);
  });

  it('tells which route has no checked answer', () => {
    const routes = [
      { method: 'GET', path: '/bookings/:id' },
      { method: 'POST', path: '/bookings/:id/refund' },
    ] as const;
    expect(uncovered(routes, { a: ['GET /bookings/{id} 404'] })).toEqual([
      'POST /bookings/{id}/refund',
    ]);
  });
});
