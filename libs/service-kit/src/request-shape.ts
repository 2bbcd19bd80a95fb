import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { PlatformError } from './errors';

/** Deepest nesting of objects and arrays a request body may have. */
export const MAX_BODY_DEPTH = 32;

// NUL breaks Postgres text, the rest breaks logs and displays; tab, newline and CR are text.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTER = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
// Keys that reach for an object's prototype: never data, so refused rather than dropped.
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

const join = (path: string, key: string | number) =>
  typeof key === 'number' ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`;

/**
 * Refuses what no route accepts, before any DTO or upstream sees it: control characters in any
 * string or key (422 naming the field), prototype keys (422), and a body nested deeper than
 * MAX_BODY_DEPTH (413). Iterative, so a hostile depth cannot overflow the stack.
 */
export function checkRequestShape(value: unknown, root: string, maxDepth = MAX_BODY_DEPTH): void {
  const stack: Array<{ value: unknown; path: string; depth: number }> = [
    { value, path: root, depth: 0 },
  ];
  while (stack.length > 0) {
    const next = stack.pop()!;
    if (typeof next.value === 'string') {
      if (CONTROL_CHARACTER.test(next.value)) {
        throw new PlatformError(
          'VALIDATION_FAILED',
          `${next.path || 'body'} must not contain control characters`,
          next.path || undefined,
        );
      }
      continue;
    }
    if (typeof next.value !== 'object' || next.value === null) continue;
    if (next.depth >= maxDepth) {
      throw new PlatformError('PAYLOAD_TOO_LARGE', `request nests deeper than ${maxDepth} levels`);
    }
    const entries: Array<[string | number, unknown]> = Array.isArray(next.value)
      ? next.value.map((v, i) => [i, v])
      : Object.entries(next.value as Record<string, unknown>);
    for (const [key, child] of entries) {
      const path = join(next.path, key);
      if (typeof key === 'string') {
        if (PROTOTYPE_KEYS.has(key)) {
          throw new PlatformError('VALIDATION_FAILED', `field '${path}' is not allowed`, path);
        }
        if (CONTROL_CHARACTER.test(key)) {
          throw new PlatformError(
            'VALIDATION_FAILED',
            'field names must not contain control characters',
            path,
          );
        }
      }
      stack.push({ value: child, path, depth: next.depth + 1 });
    }
  }
}

/**
 * checkRequestShape on a request's parsed body, query and path parameters: what
 * RequestShapeGuard runs, for routes served outside Nest's pipeline (the gateway's proxy).
 */
export function checkRequestParts(req: { body?: unknown; query: unknown; params: unknown }): void {
  // Buffers (a raw body) and text are not parsed structures; only parsed JSON is walked.
  if (typeof req.body === 'object' && req.body !== null && !Buffer.isBuffer(req.body)) {
    checkRequestShape(req.body, '');
  }
  checkRequestShape(req.query, '');
  checkRequestShape(req.params, '');
}

/**
 * Applies checkRequestShape to the body, query and path parameters of every HTTP request. A
 * guard, not an interceptor: any global interceptor puts every request of the service through
 * Nest's RxJS and async-resource machinery, which cost the gateway's hot path a tenth of its
 * CPU. Global guards run before a controller's own (a data service's identity guard), so a malformed request is refused 422/413 before 401, as a body
 * over the size limit already was; the check reads nothing but the request.
 */
@Injectable()
export class RequestShapeGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    // Express's request and Fastify's both carry the parsed body, query and params.
    checkRequestParts(
      context.switchToHttp().getRequest<{ body?: unknown; query: unknown; params: unknown }>(),
    );
    return true;
  }
}
