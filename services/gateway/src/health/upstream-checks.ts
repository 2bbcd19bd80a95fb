import type { HealthCheck } from '@rewards/service-kit';
import { describeError } from '../http/describe-error';
import type { UpstreamUrls } from '../proxy/proxy.service';
import { UPSTREAMS } from '../proxy/routes';

const PROBE_TIMEOUT_MS = 1500;

/** Ready means every upstream is alive: a gateway that can reach none of them should get no traffic. */
export function upstreamChecks(upstreams: UpstreamUrls): HealthCheck[] {
  return UPSTREAMS.map((name) => ({
    name,
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
