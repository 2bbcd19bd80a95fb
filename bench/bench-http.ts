// HTTP and polling helpers for benchmarks that drive the platform as a client would.
import {
  ClientRequestBody,
  HttpError,
  clientRequest,
  errorCode,
  parseAnswer,
  sleep,
} from '../libs/testing/src/client-http';

export { sleep };

export { HttpError };

export interface RequestOptions extends ClientRequestBody {
  /** performance.now() by which the request must have answered. */
  deadline: number;
}

export async function request<T>(
  baseUrl: string,
  method: string,
  path: string,
  opts: RequestOptions,
): Promise<T> {
  const what = `${method} ${path}`;
  const remaining = opts.deadline - performance.now();
  if (remaining <= 0) throw new Error(`flow timed out before ${what}`);
  const { headers, body } = clientRequest(opts);
  let response: Response;
  try {
    response = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      body,
      signal: AbortSignal.timeout(Math.max(1, Math.ceil(remaining))),
    });
  } catch (err) {
    const reason = err instanceof Error && err.name === 'TimeoutError' ? 'timed out' : String(err);
    throw new Error(`${what}: ${reason}`);
  }
  const text = await response.text();
  if (!response.ok) throw new HttpError(response.status, errorCode(text), what, text);
  return parseAnswer<T>(text);
}

/**
 * Calls `attempt` every `intervalMs` until it returns a value. It returns undefined for "not
 * yet"; an error it throws ends the poll. Fails once `deadline` (performance.now()) has passed.
 */
export async function poll<T>(
  what: string,
  attempt: () => Promise<T | undefined>,
  deadline: number,
  intervalMs: number,
): Promise<T> {
  for (;;) {
    const value = await attempt();
    if (value !== undefined) return value;
    if (performance.now() + intervalMs > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** For poll attempts: an HttpError with one of `codes` means "not yet"; anything else throws. */
export async function unlessRefused<T>(
  call: Promise<T>,
  codes: readonly string[],
): Promise<T | undefined> {
  try {
    return await call;
  } catch (err) {
    if (err instanceof HttpError && err.code !== undefined && codes.includes(err.code)) {
      return undefined;
    }
    throw err;
  }
}
