import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import type { AbstractHttpAdapter } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQueryString } from 'node:querystring';

/** Which HTTP server a service runs on; Nest's controllers, guards and filters are the same. */
export type HttpPlatform = 'express' | 'fastify';

/** Node's raw request and response, as every service-kit middleware sees them on either server. */
export type RawMiddleware = (
  req: IncomingMessage,
  res: ServerResponse,
  next: (err?: unknown) => void,
) => void;

/** Largest body any route accepts, JSON or raw (body-parser's default on Express). */
export const MAX_BODY_BYTES = 100 * 1024;

/**
 * Fastify set up to answer as the Express services do: a 100kb body limit (Fastify's is 1 MiB);
 * path parameters as long as a URL may be (its 100 characters would 404 longer slugs); a
 * trailing slash and any letter case routed as the route (Express's non-strict, case-insensitive
 * routing; parameters keep their case); prototype keys kept in the parsed body, for
 * RequestShapeGuard to refuse 422 naming the field (Fastify would answer 400); a request that
 * arrives on a kept-alive connection while the server closes is served, not answered 503; and
 * Node's own 5 s keep-alive (Fastify's is 72 s), above UpstreamClient's 4 s idle sockets.
 */
const FASTIFY_OPTIONS = {
  bodyLimit: MAX_BODY_BYTES,
  routerOptions: { maxParamLength: 16 * 1024, ignoreTrailingSlash: true, caseSensitive: false },
  onProtoPoisoning: 'ignore',
  onConstructorPoisoning: 'ignore',
  return503OnClosing: false,
  keepAliveTimeout: 5_000,
} as const;

const PLATFORM = Symbol('HTTP_PLATFORM');

/**
 * Declares the HTTP server a service's root module runs on (Express unless declared), for its
 * main and for the test kit alike: moving a service is this one line.
 */
export function ServesHttpOn(platform: HttpPlatform): ClassDecorator {
  return (target) => {
    Reflect.defineMetadata(PLATFORM, platform, target);
  };
}

export function httpPlatformOf(module: DynamicModule | Type<unknown>): HttpPlatform {
  const target = 'module' in module ? module.module : module;
  const declared: unknown = Reflect.getMetadata(PLATFORM, target);
  return declared === 'fastify' ? 'fastify' : 'express';
}

export function createHttpAdapter(platform: HttpPlatform): AbstractHttpAdapter {
  switch (platform) {
    case 'express':
      return new ExpressAdapter();
    case 'fastify':
      return withExpressBodyRules(new FastifyAdapter(FASTIFY_OPTIONS));
  }
}

// body-parser's JSON is an object or an array (`strict`); anything else is refused 400.
const JSON_CONTAINER = /^[ \t\n\r]*[[{]/;
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)/i;

/** body-parser's refusal of a JSON body in another charset than UTF-8 (415, its `type`). */
function unsupportedCharset(contentType: string | undefined): Error | undefined {
  const charset = contentType === undefined ? undefined : CHARSET.exec(contentType)?.[1];
  if (charset === undefined || /^utf-/i.test(charset)) return undefined;
  return Object.assign(new Error(`unsupported charset "${charset.toUpperCase()}"`), {
    status: 415,
    type: 'charset.unsupported',
  });
}

/**
 * Body parsing as express.json and express.urlencoded do it, so a service answers the same on
 * either server: the exact bytes of JSON and form bodies kept as req.rawBody (a signed webhook is
 * verified on them); an empty JSON body is `{}`, not Fastify's 400; a charset other than UTF-8 is
 * refused as body-parser refuses it; and a body of any other type
 * is left unread, for a route that forwards it as it came (Fastify would answer 415).
 */
function withExpressBodyRules(adapter: FastifyAdapter): FastifyAdapter {
  const options = { bodyLimit: MAX_BODY_BYTES };
  // Fastify's own parsers (text/plain among them) would read bodies Express leaves unread.
  adapter.getInstance().removeAllContentTypeParsers();
  adapter.useBodyParser('application/json', true, options, (req, body, done) => {
    const refusal = unsupportedCharset(req.headers['content-type']);
    if (refusal) return done(refusal);
    if (body.length === 0) return done(null, {});
    const text = body.toString('utf8');
    if (!JSON_CONTAINER.test(text)) {
      return done(
        Object.assign(new SyntaxError('request body is not a JSON object or array'), {
          status: 400,
        }),
      );
    }
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      done(Object.assign(err as SyntaxError, { status: 400 }));
    }
  });
  adapter.useBodyParser('application/x-www-form-urlencoded', true, options, (_req, body, done) =>
    done(null, parseQueryString(body.toString('utf8'))),
  );
  adapter.getInstance().addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
  return adapter;
}

/** The platform an app was created on. */
export function platformOfApp(app: INestApplication): HttpPlatform {
  return app.getHttpAdapter().getType() === 'fastify' ? 'fastify' : 'express';
}

/** Node's response under a handler's or filter's response object (Fastify's reply wraps it). */
export function rawResponse(res: object): ServerResponse {
  return 'raw' in res ? (res.raw as ServerResponse) : (res as ServerResponse);
}

/** Node's request under a handler's or guard's request object (Fastify's request wraps it). */
export function rawRequest(req: object): IncomingMessage {
  return 'raw' in req ? (req.raw as IncomingMessage) : (req as IncomingMessage);
}

// Route templates of Fastify requests, noted before any handler runs (Express keeps its own).
const fastifyRoutes = new WeakMap<IncomingMessage, string>();

/**
 * The route template a request matched (`/payouts/:id`), never the raw path; undefined when no
 * route matched (or the request was answered before routing, as a preflight is).
 */
export function routeTemplateOf(req: IncomingMessage): string | undefined {
  const express = req as IncomingMessage & { route?: { path?: unknown }; baseUrl?: string };
  const template = express.route?.path;
  if (typeof template === 'string') return `${express.baseUrl ?? ''}${template}`;
  return fastifyRoutes.get(req);
}

/** The path of a request, without its query string (which may carry tokens). */
export function pathOf(req: IncomingMessage): string {
  const url = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/**
 * A service's own middleware for every request, run after the kit's (request id, metrics...): a
 * provider of RawMiddleware[] in the service's module. Plain Node middleware in one chain, where
 * Nest's module middleware would add a path match per request, and on Fastify @fastify/middie's
 * copying of request fields.
 */
export const HTTP_MIDDLEWARE = Symbol('HTTP_MIDDLEWARE');

/**
 * Runs middleware written against Node's request and response, in order, on every request: on
 * Express as app-level middleware, on Fastify in one `onRequest` hook that also notes the route
 * template for routeTemplateOf. A middleware that answers (a preflight) does not call next.
 */
export function useRawMiddleware(app: INestApplication, middleware: RawMiddleware[]): void {
  if (platformOfApp(app) !== 'fastify') {
    for (const handler of middleware) app.use(handler);
    return;
  }
  const fastify = (app.getHttpAdapter() as FastifyAdapter).getInstance();
  fastify.addHook('onRequest', (request, reply, done) => {
    const route = request.routeOptions.url;
    if (route !== undefined) fastifyRoutes.set(request.raw, route);
    runChain(middleware, request.raw, reply.raw, done);
  });
}

function runChain(
  middleware: readonly RawMiddleware[],
  req: IncomingMessage,
  res: ServerResponse,
  done: (err?: Error) => void,
): void {
  let index = 0;
  const next = (err?: unknown): void => {
    if (err !== undefined && err !== null) {
      done(err instanceof Error ? err : new Error('middleware failed', { cause: err }));
      return;
    }
    const handler = middleware[index++];
    if (handler === undefined) {
      done();
      return;
    }
    try {
      handler(req, res, next);
    } catch (thrown) {
      next(thrown ?? new Error('middleware threw'));
    }
  };
  next();
}
