/**
 * kafkajs 2.2.4 re-arms a timer of its connection's request queue every millisecond while
 * nothing is pending (scheduleCheckPendingRequests with a negative delay): an idle service woke
 * about 1,500 times a second, most of its idle CPU. Known and unfixed upstream
 * (tulios/kafkajs#1556, #1604; fix proposed in #1667). Nothing is lost by not arming it: a
 * request that cannot go out at once is queued by push(), which arms the check itself, and each
 * answer checks the queue. Only this exact version is patched; another one is left alone.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { version } = require('kafkajs/package.json') as { version: string };

interface RequestQueueInternals {
  pending: unknown[];
  throttledUntil: number;
  scheduleCheckPendingRequests(): void;
}

const PATCHED_VERSION = '2.2.4';
let patched = false;

export function stopIdleRequestQueueLoop(): boolean {
  if (patched) return true;
  if (version !== PATCHED_VERSION) return false;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const RequestQueue = require('kafkajs/src/network/requestQueue') as {
    prototype: RequestQueueInternals;
  };
  const schedule = RequestQueue.prototype.scheduleCheckPendingRequests;
  RequestQueue.prototype.scheduleCheckPendingRequests = function (this: RequestQueueInternals) {
    // Nothing waits and no throttle ends later: there is nothing to check for.
    if (this.pending.length === 0 && this.throttledUntil <= Date.now()) return;
    schedule.call(this);
  };
  patched = true;
  return true;
}
