// CPU and memory of process trees, read from Linux /proc: which part of the platform uses the
// CPU during a benchmark. Postgres backends fork from the postmaster and start their own
// sessions, so a tree is followed by parent pid, not by process group.
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

// USER_HZ: the unit of utime/stime in /proc/<pid>/stat; 100 on every Linux this runs on.
const TICKS_PER_SECOND = 100;

interface ProcEntry {
  pid: number;
  ppid: number;
  /** utime + stime, in ticks. */
  cpuTicks: number;
  /** When it started, in ticks since boot. */
  startTicks: number;
}

function readStat(pid: number): ProcEntry | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // gone between listing and reading
  }
  // The command name is in parentheses and may itself contain spaces or parentheses.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15, starttime 22.
  return {
    pid,
    ppid: Number(fields[1]),
    cpuTicks: Number(fields[11]) + Number(fields[12]),
    startTicks: Number(fields[19]),
  };
}

function listProcesses(): ProcEntry[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readStat(Number(name)))
    .filter((entry): entry is ProcEntry => entry !== undefined);
}

/** The pid and all its descendants that are alive now. */
function treeOf(root: number, all: readonly ProcEntry[]): ProcEntry[] {
  const children = new Map<number, ProcEntry[]>();
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const found = all.filter((p) => p.pid === root);
  for (let i = 0; i < found.length; i++) found.push(...(children.get(found[i].pid) ?? []));
  return found;
}

/** Resident set size of one process in MiB; undefined once it has exited. */
/**
 * CPU a process has used so far (utime + stime), in µs: read before and after a load, divided
 * by the requests served, it is that process's CPU per request, whoever else shares the cores.
 */
export function cpuMicros(pid: number): number | undefined {
  const stat = readStat(pid);
  return stat ? (stat.cpuTicks * 1_000_000) / TICKS_PER_SECOND : undefined;
}

export function rssMiB(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
    return match ? Math.round(Number(match[1]) / 102.4) / 10 : undefined;
  } catch {
    return undefined;
  }
}

function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: idle and iowait are not busy.
  const total = values.slice(0, 8).reduce((sum, v) => sum + v, 0);
  return { busy: total - values[3] - values[4], total };
}

export interface CpuShares {
  /** Per named tree: percent of one core over the interval (200 = both cores of two). */
  byTree: Record<string, number>;
  /** All cores busy, percent of the whole machine (anyone's processes, ours or not). */
  machineBusyPercent: number;
  /** Busy CPU outside the named trees (other people's work), percent of one core. */
  othersPercent: number;
  loadAverage1m: number;
}

export interface ProcessTree {
  pid: number;
  /** False for a process whose children are measured under their own names (the bench). */
  descendants: boolean;
}

interface Reading {
  at: number;
  /** Tree name -> pid -> CPU ticks so far and start time. */
  ticks: Map<string, Map<number, { cpu: number; start: number }>>;
  /** Ticks since boot when read. */
  uptimeTicks: number;
  machine: { busy: number; total: number };
}

/**
 * Measures CPU per named process tree between two calls of `sample()`. A process that exits
 * between samples loses its last interval, which only under-reports short-lived children.
 */
export class CpuMeter {
  private last: Reading;

  constructor(private readonly trees: Readonly<Record<string, ProcessTree>>) {
    this.last = this.read();
  }

  sample(): CpuShares {
    const now = this.read();
    const seconds = (now.at - this.last.at) / 1000;
    const byTree: Record<string, number> = {};
    for (const [name, pids] of now.ticks) {
      const before = this.last.ticks.get(name) ?? new Map<number, { cpu: number; start: number }>();
      let ticks = 0;
      for (const [pid, { cpu, start }] of pids) {
        const earlier = before.get(pid);
        // A process started since the last reading (a new Postgres backend) spent all of its
        // ticks in this interval; one older but unseen (reparented) is left out.
        if (earlier?.start === start) ticks += cpu - earlier.cpu;
        else if (start >= this.last.uptimeTicks) ticks += cpu;
      }
      byTree[name] = seconds > 0 ? round1((ticks / TICKS_PER_SECOND / seconds) * 100) : 0;
    }
    const busy = now.machine.busy - this.last.machine.busy;
    const total = now.machine.total - this.last.machine.total;
    this.last = now;
    const machineBusyPercent = total > 0 ? round1((busy / total) * 100) : 0;
    const ours = Object.values(byTree).reduce((sum, v) => sum + v, 0);
    return {
      byTree,
      machineBusyPercent,
      othersPercent: round1(Math.max(0, machineBusyPercent * cpus().length - ours)),
      loadAverage1m: round1(loadavg()[0]),
    };
  }

  private read(): Reading {
    const all = listProcesses();
    const ticks = new Map<string, Map<number, { cpu: number; start: number }>>();
    for (const [name, { pid, descendants }] of Object.entries(this.trees)) {
      const members = descendants ? treeOf(pid, all) : all.filter((p) => p.pid === pid);
      ticks.set(
        name,
        new Map(members.map((p) => [p.pid, { cpu: p.cpuTicks, start: p.startTicks }])),
      );
    }
    const uptimeTicks = Math.floor(
      Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * TICKS_PER_SECOND,
    );
    return { at: Date.now(), ticks, uptimeTicks, machine: machineTicks() };
  }
}

const round1 = (n: number): number => Math.round(n * 10) / 10;

/**
 * Read and write system calls a process has made (/proc/<pid>/io syscr, syscw): a socket write
 * (writev) per database statement or HTTP message, so their count per operation is what the
 * operation costs in round trips, steady however busy the machine is.
 */
export function syscalls(pid: number): { reads: number; writes: number } | undefined {
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(io)?.[1]);
    return { reads: field('syscr'), writes: field('syscw') };
  } catch {
    return undefined;
  }
}
