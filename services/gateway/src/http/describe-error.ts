/** The message and its chain of causes, e.g. 'fetch failed: connect ECONNREFUSED 127.0.0.1:3001'. */
export function describeError(err: unknown): string {
  if (typeof err !== 'object' || err === null) return String(err);
  // Duck-typed: fetch's errors may come from another realm, where instanceof Error is false.
  const { message, cause } = err as { message?: unknown; cause?: unknown };
  const text = typeof message === 'string' ? message : 'unknown error';
  return cause === undefined ? text : `${text}: ${describeError(cause)}`;
}
