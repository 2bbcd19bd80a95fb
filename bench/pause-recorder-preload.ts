// Preloaded into the gateway by gateway-tail.ts (node -r): records every GC and every event-loop
// stall (a 1 ms timer more than 3 ms late) in epoch milliseconds, so they can be matched with the
// client's slow requests; SIGWINCH writes them to PAUSE_RECORDER_OUT.
import { writeFileSync } from 'node:fs';
import { PerformanceObserver, performance } from 'node:perf_hooks';

const gcs: [startMs: number, durationMs: number, kind: number][] = [];
const stalls: [startMs: number, durationMs: number][] = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = (entry as { detail?: { kind?: number } }).detail?.kind ?? 0;
    gcs.push([performance.timeOrigin + entry.startTime, entry.duration, kind]);
  }
}).observe({ entryTypes: ['gc'] });
let last = performance.now();
setInterval(() => {
  const now = performance.now();
  if (now - last > 3) stalls.push([performance.timeOrigin + last, now - last]);
  last = now;
}, 1).unref();
process.on('SIGWINCH', () => {
  writeFileSync(process.env.PAUSE_RECORDER_OUT ?? 'pauses.json', JSON.stringify({ gcs, stalls }));
});
