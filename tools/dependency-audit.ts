// The dependency audit gate: `npm audit` over every dependency (prod, dev, optional, peer) must
// report no high or critical advisory. Where the registry's advisory endpoint cannot be reached,
// the audit was not performed: said so plainly, and a failure unless AUDIT_OFFLINE_OK=true.
//
//   node dist/tools/dependency-audit.js [extra npm audit arguments, e.g. --registry URL]
import { spawn } from 'node:child_process';

/** How the gate exits: a stable code per outcome, so CI can tell them apart. */
export const AUDIT_EXIT = {
  passed: 0,
  vulnerable: 1,
  /** npm printed no audit report nor an endpoint error: the gate itself is broken. */
  unusable: 2,
  notPerformed: 3,
} as const;

const BLOCKING = ['high', 'critical'] as const;
type Severity = 'info' | 'low' | 'moderate' | 'high' | 'critical';

export interface AuditFinding {
  /** The installed package the advisory is about (or that depends on one it is about). */
  name: string;
  severity: Severity;
  /** Titles and URLs of the advisories behind it. */
  advisories: string[];
}

export type AuditVerdict =
  | { kind: 'clean'; counts: Record<Severity, number> }
  | { kind: 'vulnerable'; counts: Record<Severity, number>; findings: AuditFinding[] }
  | { kind: 'not-performed'; reason: string }
  | { kind: 'unusable'; reason: string };

interface AuditReportJson {
  auditReportVersion?: number;
  vulnerabilities?: Record<
    string,
    { name: string; severity: Severity; via: (string | { title?: string; url?: string })[] }
  >;
  metadata?: { vulnerabilities?: Partial<Record<Severity, number>> };
  /** What npm prints instead of a report when the advisory request failed. */
  message?: string;
  error?: unknown;
  statusCode?: number;
}

/** Reads what `npm audit --json` printed (and its exit status) into the gate's verdict. */
export function auditVerdict(stdout: string, npmStatus: number | null): AuditVerdict {
  let report: AuditReportJson;
  try {
    report = JSON.parse(stdout) as AuditReportJson;
  } catch {
    const printed = stdout.trim().slice(0, 200) || 'nothing';
    return { kind: 'unusable', reason: `npm audit (exit ${npmStatus}) printed ${printed}` };
  }
  const totals = report.metadata?.vulnerabilities;
  if (report.auditReportVersion === 2 && totals) {
    const counts = {
      info: totals.info ?? 0,
      low: totals.low ?? 0,
      moderate: totals.moderate ?? 0,
      high: totals.high ?? 0,
      critical: totals.critical ?? 0,
    };
    const findings = Object.values(report.vulnerabilities ?? {})
      .filter((v) => (BLOCKING as readonly string[]).includes(v.severity))
      .map((v) => ({
        name: v.name,
        severity: v.severity,
        advisories: v.via.map((via) =>
          typeof via === 'string' ? `through ${via}` : `${via.title ?? '?'} (${via.url ?? '?'})`,
        ),
      }));
    const blocking = counts.high + counts.critical;
    return blocking > 0 || findings.length > 0
      ? { kind: 'vulnerable', counts, findings }
      : { kind: 'clean', counts };
  }
  if (report.error !== undefined || report.statusCode !== undefined) {
    const reason = report.message?.trim() || `the endpoint answered ${report.statusCode ?? '?'}`;
    return { kind: 'not-performed', reason };
  }
  return { kind: 'unusable', reason: `npm audit (exit ${npmStatus}) printed no audit report` };
}

/** What the gate prints and how it exits for a verdict. */
export function auditOutcome(
  verdict: AuditVerdict,
  offlineOk: boolean,
): { exitCode: number; lines: string[] } {
  switch (verdict.kind) {
    case 'clean': {
      const { low, moderate, info } = verdict.counts;
      return {
        exitCode: AUDIT_EXIT.passed,
        lines: [
          `dependency audit passed: no high or critical advisory (moderate ${moderate}, low ${low}, info ${info})`,
        ],
      };
    }
    case 'vulnerable':
      return {
        exitCode: AUDIT_EXIT.vulnerable,
        lines: [
          `dependency audit failed: ${verdict.counts.critical} critical, ${verdict.counts.high} high`,
          ...verdict.findings.map(
            (f) => `  ${f.severity} ${f.name}: ${f.advisories.join('; ') || 'see npm audit'}`,
          ),
        ],
      };
    case 'not-performed':
      return {
        exitCode: offlineOk ? AUDIT_EXIT.passed : AUDIT_EXIT.notPerformed,
        lines: [
          `dependency audit not performed: ${verdict.reason}`,
          ...(offlineOk ? ['(accepted: AUDIT_OFFLINE_OK=true)'] : []),
        ],
      };
    case 'unusable':
      return {
        exitCode: AUDIT_EXIT.unusable,
        lines: [`dependency audit broken: ${verdict.reason}`],
      };
  }
}

/** Runs `npm audit --json` over every kind of dependency in `cwd`. */
export function runNpmAudit(cwd: string, extraArgs: readonly string[] = []): Promise<AuditVerdict> {
  const include = ['prod', 'dev', 'optional', 'peer'].map((kind) => `--include=${kind}`);
  return new Promise((resolve) => {
    // Async, not spawnSync: a registry served by this very process (the tests') must answer.
    const npm = spawn('npm', ['audit', '--json', ...include, ...extraArgs], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    npm.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    npm.stderr.resume();
    npm.on('error', (err) =>
      resolve({ kind: 'unusable', reason: `npm could not run: ${err.message}` }),
    );
    npm.on('close', (status) => resolve(auditVerdict(Buffer.concat(out).toString('utf8'), status)));
  });
}

async function main(): Promise<void> {
  const outcome = auditOutcome(
    await runNpmAudit(process.cwd(), process.argv.slice(2)),
    process.env.AUDIT_OFFLINE_OK === 'true',
  );
  const print = outcome.exitCode === AUDIT_EXIT.passed ? console.log : console.error;
  outcome.lines.forEach((line) => print(line));
  process.exitCode = outcome.exitCode;
}

if (require.main === module) void main();
