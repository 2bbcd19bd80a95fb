// Preloaded into a service (NODE_OPTIONS=--require) when a benchmark profiles it: the first
// SIGWINCH starts V8's CPU profiler, the second writes the profile to BENCH_CPU_PROFILE_DIR.
// Signals, not a timer, so the profile covers exactly the benchmark's steady window.
// (`--cpu-prof` itself is refused in NODE_OPTIONS and would also cover the boot.) SIGWINCH
// because Nest's shutdown hooks take SIGUSR2, and a service has no terminal to resize.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.BENCH_CPU_PROFILE_DIR ?? '.';
const session = new Session();
session.connect();
let profiling = false;

const fail = (what: string, err: Error | null): boolean => {
  if (err) process.stderr.write(`cpu-profile-preload: ${what}: ${err.message}\n`);
  return err !== null;
};

process.on('SIGWINCH', () => {
  if (!profiling) {
    profiling = true;
    session.post('Profiler.enable', (err) => {
      if (fail('enable', err)) return;
      session.post('Profiler.start', (startErr) => void fail('start', startErr));
    });
    return;
  }
  profiling = false;
  session.post('Profiler.stop', (err, result) => {
    if (fail('stop', err)) return;
    const file = join(dir, `${process.pid}.cpuprofile`);
    writeFileSync(file, JSON.stringify(result.profile));
    process.stderr.write(`cpu-profile-preload: wrote ${file}\n`);
  });
});

export {};
