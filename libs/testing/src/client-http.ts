// What the benchmarks and the fault harness share when they call the platform as a client:
// the request they send and how they read a refusal. Each keeps its own policy on top (the
// benchmarks fail fast, the harness retries through outages).

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

export interface ClientRequestBody {
  token?: string;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as application/x-www-form-urlencoded (the Stripe API's format). */
  form?: Record<string, string>;
}

/** The headers and body of a request with an optional bearer token and a JSON or form body. */
export function clientRequest(opts: ClientRequestBody): {
  headers: Record<string, string>;
  body: string | undefined;
} {
  const headers: Record<string, string> = {};
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  if (opts.json !== undefined) {
    headers['content-type'] = 'application/json';
    return { headers, body: JSON.stringify(opts.json) };
  }
  if (opts.form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    return { headers, body: new URLSearchParams(opts.form).toString() };
  }
  return { headers, body: undefined };
}

/** The stable error code of an error body: `{ error: { code } }`, or `{ code }` at the top. */
export function errorCode(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { code?: unknown; error?: { code?: unknown } };
    const code = parsed.error?.code ?? parsed.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

/** A JSON answer's value; an empty body is undefined. */
export function parseAnswer<T>(text: string): T {
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
