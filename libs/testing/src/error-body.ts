/** The error format every service and the gateway answer with. */
export interface ErrorBodyOf {
  code: string;
  message: string;
  field?: string;
  details?: Record<string, unknown>;
  requestId: string;
}

interface Answer {
  status: number;
  body: unknown;
  /** When given, x-request-id must be the body's requestId. */
  headers?: Record<string, unknown>;
}

/**
 * The `error` of an error answer, once it has been checked to carry its request id, the same as
 * the x-request-id header when the answer has headers (what support asks for). Throws, naming the
 * answer, when it does not.
 */
export function errorOf(res: Answer): ErrorBodyOf {
  const error = (res.body as { error?: Partial<ErrorBodyOf> } | undefined)?.error;
  const shown = () => `${res.status} ${JSON.stringify(res.body)}`;
  if (typeof error?.code !== 'string') throw new Error(`not an error answer: ${shown()}`);
  if (typeof error.requestId !== 'string' || error.requestId === '') {
    throw new Error(`error answer without a requestId: ${shown()}`);
  }
  if (res.headers && res.headers['x-request-id'] !== error.requestId) {
    throw new Error(
      `error requestId ${error.requestId} is not the x-request-id header ${String(res.headers['x-request-id'])}`,
    );
  }
  return error as ErrorBodyOf;
}
