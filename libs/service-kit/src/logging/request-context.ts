import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

const storage = new AsyncLocalStorage<{ requestId: string }>();

/** A client-sent id is kept when it is a sane token (so one id follows a call); else a new one. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's x-request-id when it is a sane token, so one id follows the call; else a new one. */
export function requestIdOf(req: Pick<IncomingMessage, 'headers'>): string {
  const sent = req.headers['x-request-id'];
  return typeof sent === 'string' && REQUEST_ID.test(sent) ? sent : randomUUID();
}

/**
 * Gives each request an id (the caller's `x-request-id` when sane, else a new UUID), echoes it in
 * the response, and keeps it for the logs written while the request is handled. Error bodies
 * carry the same id (ErrorFilter reads it back from the request).
 */
export function requestContext() {
  return (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const requestId = requestIdOf(req);
    req.headers['x-request-id'] = requestId;
    res.setHeader('x-request-id', requestId);
    storage.run({ requestId }, next);
  };
}

/** Runs `work` as part of the request `requestId` (its logs carry the id). */
export function withRequestId<T>(requestId: string | undefined, work: () => T): T {
  return requestId ? storage.run({ requestId }, work) : work();
}

/** The id of the request being handled, if any. */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}
