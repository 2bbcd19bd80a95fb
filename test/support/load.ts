import { Agent, request } from 'node:http';

/** One request a load sends; `tag` names it in its outcome (e.g. the user a signup creates). */
export interface LoadRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  /** Sent as JSON. */
  json?: unknown;
  tag?: string;
}

/** One request of a load run: what came back (a status) or how the connection failed. */
export interface LoadOutcome {
  startedAt: number;
  endedAt: number;
  tag?: string;
  status?: number;
  /** The socket error's code (ECONNREFUSED, ECONNRESET...) when no answer came. */
  error?: string;
  /** Whether the answer asked to close the connection. */
  connectionClose?: boolean;
}

type Answer = Omit<LoadOutcome, 'startedAt' | 'endedAt' | 'tag'>;

function httpRequest(
  url: URL,
  { method, headers, json }: Omit<LoadRequest, 'path' | 'tag'>,
  agent: Agent | false,
): Promise<Answer> {
  const body = json === undefined ? undefined : JSON.stringify(json);
  const sent =
    body === undefined
      ? headers
      : {
          ...headers,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
        };
  return new Promise((resolve) => {
    const req = request(url, { method, headers: sent, agent, timeout: 10_000 }, (res) => {
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
    req.end(body);
  });
}

export function httpGet(
  url: URL,
  headers: Record<string, string>,
  agent: Agent | false,
): Promise<Answer> {
  return httpRequest(url, { method: 'GET', headers }, agent);
}

/**
 * Sends requests back to back from `loops` concurrent clients until stopped: half reuse
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

  /** `next` makes each request, on the target `base` (e.g. http://127.0.0.1:3001). */
  constructor(
    base: string,
    next: () => LoadRequest,
    loops = 4,
    private readonly pauseMs = 5,
  ) {
    for (let i = 0; i < loops; i++) {
      this.loops.push(this.loop(base, next, i % 2 === 0 ? this.agent : false));
    }
  }

  private async loop(base: string, next: () => LoadRequest, agent: Agent | false): Promise<void> {
    while (this.running && (this.routed || agent !== false)) {
      const startedAt = Date.now();
      const { path, tag, ...sent } = next();
      const outcome = await httpRequest(new URL(path, base), sent, agent);
      this.outcomes.push({ startedAt, endedAt: Date.now(), tag, ...outcome });
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
