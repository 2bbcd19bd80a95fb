import type { HealthCheck } from '@rewards/service-kit';
import { describeError } from '../http/describe-error';
import type { UpstreamUrls } from '../proxy/proxy.service';
import { UPSTREAMS } from '../proxy/routes';

const PROBE_TIMEOUT_MS = 1500;

/**
 * Each upstream's liveness, reported by /health/ready but not required: a payouts outage must not
 * take the gateway, and with it bookings traffic, out of rotation. The gateway answers a dead
 * upstream's routes itself, with a fast 503.
 */
export function upstreamChecks(upstreams: UpstreamUrls): HealthCheck[] {
  return UPSTREAMS.map((name) => ({
    name,
    required: false,
    check: async () => {
      const url = `${upstreams[name].replace(/\/+$/, '')}/health/live`;
      let status: number;
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
        await res.arrayBuffer();
        status = res.status;
      } catch (err) {
        throw new Error(`${url}: ${describeError(err)}`);
      }
      if (status !== 200) throw new Error(`${url} answered ${status}`);
    },
  }));
}
