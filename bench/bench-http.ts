// HTTP and polling helpers for benchmarks that drive the platform as a client would.
import { Agent, request as httpRequest } from 'node:http';
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

// node:http on a keep-alive agent, not fetch: the client shares the platform's two cores, and
// fetch costs it about twice the CPU per request.
const agent = new Agent({ keepAlive: true, maxSockets: 512 });

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
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  let answer: { status: number; text: string };
  try {
    answer = await send(new URL(path, baseUrl), method, headers, body, remaining);
  } catch (err) {
    const reason = err instanceof Error && err.name === 'TimeoutError' ? 'timed out' : String(err);
    throw new Error(`${what}: ${reason}`);
  }
  if (answer.status < 200 || answer.status > 299) {
    throw new HttpError(answer.status, errorCode(answer.text), what, answer.text);
  }
  return parseAnswer<T>(answer.text);
}

function send(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
  timeoutMs: number,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { agent, method, headers, signal: AbortSignal.timeout(Math.max(1, Math.ceil(timeoutMs))) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', (err) =>
      reject(req.destroyed && err.name === 'AbortError' ? timeoutError() : err),
    );
    req.end(body);
  });
}

function timeoutError(): Error {
  const err = new Error('timed out');
  err.name = 'TimeoutError';
  return err;
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
