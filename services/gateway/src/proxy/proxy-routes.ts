import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyAdapter } from '@nestjs/platform-fastify';
import { checkRequestParts } from '@rewards/service-kit';
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { AccessCheck } from '../auth/access-check';
import { RouteRateLimit } from '../rate-limit/route-rate-limit';
import { ProxyService } from './proxy.service';
import { isInternalPath, type ProxyRoute } from './routes';

export const PROXY_ROUTE_TABLE = Symbol('PROXY_ROUTE_TABLE');

/** What a proxied request goes through, in this order, before its upstream is called. */
export interface ProxySteps {
  access: AccessCheck;
  rateLimit: RouteRateLimit;
  proxy: ProxyService;
}

/**
 * One plain Fastify route per table entry. Nest's route pipeline (guards found by reflection,
 * pipes, about 28 promises per request) was a fifth of the gateway's CPU per proxied request,
 * so the handler runs the same checks in the same order itself: request shape (as the global
 * RequestShapeGuard), access, rate limit. Its errors reach Nest's exception filter through the
 * error handler Nest gives Fastify; anything not in the table gets Nest's own 404.
 */
export function proxyRouteOptions(
  routes: readonly ProxyRoute[],
  steps: ProxySteps,
): RouteOptions[] {
  return routes.map((route) => {
    if (isInternalPath(route.path)) {
      throw new Error(`${route.path}: /internal routes are never exposed through the gateway`);
    }
    const access = route.access;
    return {
      method: route.method,
      url: route.path,
      handler: async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
        checkRequestParts(request);
        const caller =
          access === 'public' ? undefined : await steps.access.callerFor(access, request.headers);
        await steps.rateLimit.take(route, caller, request.raw, reply.raw);
        await steps.proxy.forward(route, request, reply.raw, caller);
      },
    };
  });
}

/** Registers the table's routes on the app's Fastify before it starts listening. */
@Injectable()
export class ProxyRoutes implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(PROXY_ROUTE_TABLE) private readonly routes: readonly ProxyRoute[],
    private readonly access: AccessCheck,
    private readonly rateLimit: RouteRateLimit,
    private readonly proxy: ProxyService,
  ) {}

  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter;
    if (adapter.getType() !== 'fastify') {
      throw new Error('the gateway proxies on Fastify only: its root module serves HTTP on it');
    }
    const fastify = (adapter as FastifyAdapter).getInstance();
    const steps = { access: this.access, rateLimit: this.rateLimit, proxy: this.proxy };
    for (const options of proxyRouteOptions(this.routes, steps)) fastify.route(options);
  }
}
