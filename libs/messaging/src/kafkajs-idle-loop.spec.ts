import { stopIdleRequestQueueLoop } from './kafkajs-idle-loop';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const RequestQueue = require('kafkajs/src/network/requestQueue') as new (options: object) => {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  destroy(): void;
};

const noLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined };

function queue() {
  return new RequestQueue({
    instrumentationEmitter: null,
    maxInFlightRequests: null,
    requestTimeout: 1000,
    enforceRequestTimeout: false,
    clientId: 'spec',
    broker: 'localhost:9092',
    logger: noLogger,
    isConnected: () => true,
  });
}

describe(stopIdleRequestQueueLoop.name, () => {
  it('patches the installed kafkajs', () => {
    expect(stopIdleRequestQueueLoop()).toBe(true);
  });

  it('arms no timer while nothing is pending and no throttle runs', () => {
    stopIdleRequestQueueLoop();
    const q = queue();
    q.checkPendingRequests();
    expect(q.throttleCheckTimeoutId).toBeNull();
    q.destroy();
  });

  it('still checks again later while requests wait behind a throttle', () => {
    stopIdleRequestQueueLoop();
    const q = queue();
    q.pending.push({});
    q.throttledUntil = Date.now() + 60_000;
    q.checkPendingRequests();
    expect(q.throttleCheckTimeoutId).not.toBeNull();
    clearTimeout(q.throttleCheckTimeoutId ?? undefined);
    q.destroy();
  });
});
