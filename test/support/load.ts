import { Agent, request } from 'node:http';

/** One request of a load run: what came back (a status) or how the connection failed. */
export interface LoadOutcome {
  startedAt: number;
  endedAt: number;
  status?: number;
  /** The socket error's code (ECONNREFUSED, ECONNRESET...) when no answer came. */
  error?: string;
  /** Whether the answer asked to close the connection. */
  connectionClose?: boolean;
}

export function httpGet(
  url: URL,
  headers: Record<string, string>,
  agent: Agent | false,
): Promise<Omit<LoadOutcome, 'startedAt' | 'endedAt'>> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', headers, agent, timeout: 10_000 }, (res) => {
      res.resume();
      res.once('end', () =>
        resolve({
          status: res.statusCode,
          connectionClose: String(res.headers.connection).toLowerCase() === 'close',
        }),
      );
      res.once('error', (err: NodeJS.ErrnoException) =>
        resolve({ error: err.code ?? err.message }),
      );
    });
    req.once('timeout', () =>
      req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })),
    );
    req.once('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    req.end();
  });
}

/**
 * Sends GET requests back to back from `loops` concurrent clients until stopped: half reuse
 * keep-alive connections (as the gateway's HTTP client does), half open one per request. Once
 * the target is removed from the Service's endpoints, clients behave as behind kube-proxy: new
 * connections go to other pods (so the one-per-request clients stop calling this one), and a
 * keep-alive client stays on its connection until the server closes it.
 */
export class HttpLoad {
  readonly outcomes: LoadOutcome[] = [];
  private running = true;
  private routed = true;
  private readonly loops: Array<Promise<void>> = [];
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 8 });

  constructor(
    url: string,
    headers: () => Record<string, string>,
    loops = 4,
    private readonly pauseMs = 5,
  ) {
    for (let i = 0; i < loops; i++) {
      this.loops.push(this.loop(new URL(url), headers, i % 2 === 0 ? this.agent : false));
    }
  }

  private async loop(
    url: URL,
    headers: () => Record<string, string>,
    agent: Agent | false,
  ): Promise<void> {
    while (this.running && (this.routed || agent !== false)) {
      const startedAt = Date.now();
      const outcome = await httpGet(url, headers(), agent);
      this.outcomes.push({ startedAt, endedAt: Date.now(), ...outcome });
      // Its connection is gone; a new one would go to another pod.
      if (!this.routed && (outcome.connectionClose === true || outcome.error !== undefined)) return;
      await new Promise((resolve) => setTimeout(resolve, this.pauseMs));
    }
  }

  /** The pod left the Service's endpoints: no new connection reaches it any more. */
  removeFromEndpoints(): void {
    this.routed = false;
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    this.agent.destroy();
  }
}
