import {
  Controller,
  Inject,
  Req,
  RequestMapping,
  RequestMethod,
  Res,
  UseGuards,
  type Type,
} from '@nestjs/common';
import { Access, AccessGuard } from '../auth/access.guard';
import { LimitedRoute, RateLimitGuard } from '../rate-limit/rate-limit.guard';
import { ProxyService, type ProxiedRequest } from './proxy.service';
import { isInternalPath, type ProxyRoute } from './routes';

/**
 * Builds a controller with one real Nest route per table entry, so each gets the access guard,
 * the error filter and Nest's own 404 for whatever is not in the table.
 */
export function createProxyController(routes: readonly ProxyRoute[]): Type<unknown> {
  @Controller()
  @UseGuards(AccessGuard, RateLimitGuard)
  class ProxyController {
    constructor(@Inject(ProxyService) readonly proxy: ProxyService) {}
  }

  for (const route of routes) {
    if (isInternalPath(route.path)) {
      throw new Error(`${route.path}: /internal routes are never exposed through the gateway`);
    }
    const name = `${route.method} ${route.path}`;
    const handler = function (
      this: ProxyController,
      req: ProxiedRequest,
      res: object,
    ): Promise<void> {
      return this.proxy.forward(route, req, res);
    };
    Object.defineProperty(ProxyController.prototype, name, { value: handler, writable: true });
    const descriptor = Object.getOwnPropertyDescriptor(ProxyController.prototype, name);
    if (!descriptor) throw new Error(`could not define ${name}`);
    RequestMapping({ path: route.path, method: RequestMethod[route.method] })(
      ProxyController.prototype,
      name,
      descriptor,
    );
    Access(route.access)(ProxyController.prototype, name, descriptor);
    LimitedRoute(route)(ProxyController.prototype, name, descriptor);
    Req()(ProxyController.prototype, name, 0);
    Res()(ProxyController.prototype, name, 1);
  }
  return ProxyController;
}
