import { AUDIT_EXIT, auditOutcome, auditVerdict } from './dependency-audit';

const report = (vulnerabilities: object, totals: object) =>
  JSON.stringify({
    auditReportVersion: 2,
    vulnerabilities,
    metadata: {
      vulnerabilities: { info: 0, low: 0, moderate: 0, high: 0, critical: 0, ...totals },
    },
  });

describe(auditVerdict.name, () => {
  it('names a package vulnerable only through its dependency', () => {
    const verdict = auditVerdict(
      report(
        {
          lib: { name: 'lib', severity: 'critical', via: ['dep'] },
          dep: {
            name: 'dep',
            severity: 'critical',
            via: [{ title: 'RCE', url: 'https://advisories.test/1' }],
          },
        },
        { critical: 2 },
      ),
      1,
    );
    expect(auditOutcome(verdict, true)).toEqual({
      exitCode: AUDIT_EXIT.vulnerable,
      lines: [
        'dependency audit failed: 2 critical, 0 high',
        '  critical lib: through dep',
        '  critical dep: RCE (https://advisories.test/1)',
      ],
    });
  });

  it('passes a report of moderate advisories', () => {
    const verdict = auditVerdict(report({}, { moderate: 3 }), 1);
    expect(auditOutcome(verdict, false).exitCode).toBe(AUDIT_EXIT.passed);
  });

  it('fails as broken, whatever AUDIT_OFFLINE_OK says, when npm printed no report', () => {
    for (const printed of ['', 'npm ERR! cb() never called', '{"auditReportVersion":2}']) {
      const outcome = auditOutcome(auditVerdict(printed, 1), true);
      expect(outcome.exitCode).toBe(AUDIT_EXIT.unusable);
      expect(outcome.lines[0]).toMatch(/^dependency audit broken: npm audit \(exit 1\) printed/);
    }
  });
});
