// HTTP and polling helpers for benchmarks that drive the platform as a client would.

/** A non-2xx answer; `code` is the platform's stable error code when the body has one. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    what: string,
    body: string,
  ) {
    super(`${what} -> ${status}${code === undefined ? '' : ` ${code}`}: ${body.slice(0, 300)}`);
    this.name = 'HttpError';
  }
}

export interface RequestOptions {
  token?: string;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as application/x-www-form-urlencoded (the Stripe API's format). */
  form?: Record<string, string>;
  /** performance.now() by which the request must have answered. */
  deadline: number;
}

function errorCode(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown } };
    return typeof parsed.error?.code === 'string' ? parsed.error.code : undefined;
  } catch {
    return undefined;
  }
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
  const headers: Record<string, string> = {};
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.json);
  } else if (opts.form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(opts.form).toString();
  }
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
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

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
