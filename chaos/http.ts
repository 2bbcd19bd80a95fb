// HTTP for a client that keeps going through faults: every call is retried while the platform
// is unavailable (connection refused or reset, timeouts, 5xx, 429) until the flow's deadline;
// answers with an expected error code can count as success (e.g. "already registered" after a
// retry of a request whose first answer was lost).

import {
  ClientRequestBody,
  HttpError,
  clientRequest,
  errorCode,
  parseAnswer,
  sleep,
} from '../libs/testing/src/client-http';

export interface CallOptions extends ClientRequestBody {
  /** Error codes that mean the call already had its effect: answered as undefined. */
  doneCodes?: readonly string[];
  /** Error codes that mean "not yet": retried like an outage. */
  notYetCodes?: readonly string[];
}

const REQUEST_TIMEOUT_MS = 15_000;
const RETRY_MIN_MS = 200;
const RETRY_MAX_MS = 2_000;

export class ResilientClient {
  /** Calls retried because the platform was unavailable, for the report. */
  retries = 0;

  constructor(readonly baseUrl: string) {}

  /** The answer, or undefined for a done code; throws at the deadline or on another refusal. */
  async call<T>(
    method: string,
    path: string,
    deadline: number,
    opts: CallOptions = {},
  ): Promise<T | undefined> {
    const what = `${method} ${path}`;
    let delay = RETRY_MIN_MS;
    let last = 'no attempt';
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`${what}: gave up at the flow deadline (last: ${last})`);
      const outcome = await this.once<T>(
        method,
        path,
        opts,
        Math.min(remaining, REQUEST_TIMEOUT_MS),
      );
      if (outcome.kind === 'ok') return outcome.value;
      if (outcome.kind === 'refused') throw outcome.error;
      last = outcome.reason;
      this.retries += 1;
      await sleep(Math.min(delay, deadline - Date.now()));
      delay = Math.min(delay * 2, RETRY_MAX_MS);
    }
  }

  private async once<T>(
    method: string,
    path: string,
    opts: CallOptions,
    timeoutMs: number,
  ): Promise<
    | { kind: 'ok'; value: T | undefined }
    | { kind: 'retry'; reason: string }
    | { kind: 'refused'; error: Error }
  > {
    const { headers, body } = clientRequest(opts);
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body,
        signal: AbortSignal.timeout(Math.max(1, timeoutMs)),
      });
      text = await response.text();
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      return { kind: 'retry', reason: cause ?? (err instanceof Error ? err.name : String(err)) };
    }
    if (response.ok) {
      return { kind: 'ok', value: parseAnswer<T>(text) };
    }
    const code = errorCode(text);
    if (code !== undefined && opts.doneCodes?.includes(code))
      return { kind: 'ok', value: undefined };
    if (response.status >= 500 || response.status === 429) {
      return { kind: 'retry', reason: `${response.status} ${code ?? ''}`.trim() };
    }
    if (code !== undefined && opts.notYetCodes?.includes(code)) {
      return { kind: 'retry', reason: code };
    }
    return {
      kind: 'refused',
      error: new HttpError(response.status, code, `${method} ${path}`, text),
    };
  }
}
