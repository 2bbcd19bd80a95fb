// Preloaded (`node --require`) into every service the platform spawns. Should the platform die
// without stopping it (SIGKILL, crash), the service is re-parented; it then stops as on a SIGTERM
// (its graceful path), and is killed if that hangs, so no orphan keeps a port or connections.
const parentPid = process.ppid;
const GRACE_MS = 10_000;
let terminatedAt: number | undefined;

setInterval(() => {
  if (process.ppid === parentPid) return;
  if (terminatedAt === undefined) {
    terminatedAt = Date.now();
    process.kill(process.pid, 'SIGTERM');
  } else if (Date.now() - terminatedAt > GRACE_MS) {
    process.kill(process.pid, 'SIGKILL');
  }
}, 1000).unref();

export {};
