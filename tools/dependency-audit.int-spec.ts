import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { AUDIT_EXIT, auditOutcome, runNpmAudit } from './dependency-audit';

const BULK = '/-/npm/v1/security/advisories/bulk';

/**
 * A registry on 127.0.0.1 that answers npm's bulk advisory request as `answer` says: an
 * advisory of the given severity for every package asked about, or a bare status.
 */
async function fakeRegistry(
  answer: { severity: string } | { status: number },
): Promise<{ url: string; asked: Record<string, string[]>[]; close: () => Promise<void> }> {
  const asked: Record<string, string[]>[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== BULK) {
        res.writeHead(404).end();
        return;
      }
      const raw = Buffer.concat(chunks);
      const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
      const packages = JSON.parse(body.toString('utf8')) as Record<string, string[]>;
      asked.push(packages);
      if ('status' in answer) {
        res.writeHead(answer.status, { allow: 'GET,HEAD' }).end();
        return;
      }
      const advisories = Object.fromEntries(
        Object.keys(packages).map((name, i) => [
          name,
          [
            {
              id: 1000 + i,
              url: `https://advisories.test/${name}`,
              title: `${answer.severity} trouble in ${name}`,
              severity: answer.severity,
              vulnerable_versions: '<99.0.0',
              cwe: [],
              cvss: { score: 0, vectorString: null },
            },
          ],
        ]),
      );
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(advisories));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    asked,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('dependency audit gate', () => {
  let dir: string;

  beforeEach(() => {
    // A project of one runtime and one dev dependency, known from its lockfile alone.
    dir = mkdtempSync(join(tmpdir(), 'audit-gate-'));
    const deps = { dependencies: { 'left-pad': '1.3.0' }, devDependencies: { 'is-odd': '3.0.1' } };
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'audited', version: '1.0.0', private: true, ...deps }),
    );
    const locked = (name: string, version: string, dev: boolean) => ({
      version,
      resolved: `http://127.0.0.1:1/${name}/-/${name}-${version}.tgz`,
      integrity: 'sha512-AAAA',
      ...(dev ? { dev: true } : {}),
    });
    writeFileSync(
      join(dir, 'package-lock.json'),
      JSON.stringify({
        name: 'audited',
        version: '1.0.0',
        lockfileVersion: 3,
        requires: true,
        packages: {
          '': { name: 'audited', version: '1.0.0', ...deps },
          'node_modules/left-pad': locked('left-pad', '1.3.0', false),
          'node_modules/is-odd': locked('is-odd', '3.0.1', true),
        },
      }),
    );
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  // A fresh npm cache each run: npm caches advisories, and one run's answer must not leak.
  const audit = (registry: string) =>
    runNpmAudit(dir, ['--registry', registry, '--cache', join(dir, '.npm-cache')]);

  it('fails on a high advisory, naming the package and the advisory', async () => {
    const registry = await fakeRegistry({ severity: 'high' });
    try {
      const verdict = await audit(registry.url);
      // Every dependency is asked about, dev ones included.
      expect(registry.asked).toEqual([{ 'left-pad': ['1.3.0'], 'is-odd': ['3.0.1'] }]);
      const outcome = auditOutcome(verdict, true);
      expect(outcome.exitCode).toBe(AUDIT_EXIT.vulnerable);
      expect(outcome.lines[0]).toBe('dependency audit failed: 0 critical, 2 high');
      expect(outcome.lines).toContain(
        '  high left-pad: high trouble in left-pad (https://advisories.test/left-pad)',
      );
    } finally {
      await registry.close();
    }
  });

  it('fails on a critical advisory', async () => {
    const registry = await fakeRegistry({ severity: 'critical' });
    try {
      const outcome = auditOutcome(await audit(registry.url), false);
      expect(outcome.exitCode).toBe(AUDIT_EXIT.vulnerable);
      expect(outcome.lines[0]).toBe('dependency audit failed: 2 critical, 0 high');
    } finally {
      await registry.close();
    }
  });

  it('passes when the only advisories are low', async () => {
    const registry = await fakeRegistry({ severity: 'low' });
    try {
      const outcome = auditOutcome(await audit(registry.url), false);
      expect(outcome).toEqual({
        exitCode: AUDIT_EXIT.passed,
        lines: [
          'dependency audit passed: no high or critical advisory (moderate 0, low 2, info 0)',
        ],
      });
    } finally {
      await registry.close();
    }
  });

  it('says the audit was not performed when the endpoint answers 405', async () => {
    const registry = await fakeRegistry({ status: 405 });
    try {
      const verdict = await audit(registry.url);
      expect(verdict).toEqual({
        kind: 'not-performed',
        reason: expect.stringContaining(
          `405 Method Not Allowed - POST ${registry.url.slice(0, -1)}${BULK}`,
        ),
      });
      expect(auditOutcome(verdict, false)).toEqual({
        exitCode: AUDIT_EXIT.notPerformed,
        lines: [
          `dependency audit not performed: ${verdict.kind === 'not-performed' && verdict.reason}`,
        ],
      });
      // Accepted only when asked for, and still said.
      const accepted = auditOutcome(verdict, true);
      expect(accepted.exitCode).toBe(AUDIT_EXIT.passed);
      expect(accepted.lines[0]).toMatch(/^dependency audit not performed: 405 /);
    } finally {
      await registry.close();
    }
  });

  it('says the audit was not performed when the registry cannot be reached', async () => {
    const registry = await fakeRegistry({ status: 405 });
    await registry.close();
    const verdict = await audit(registry.url);
    expect(verdict).toEqual({
      kind: 'not-performed',
      reason: expect.stringContaining('ECONNREFUSED'),
    });
    expect(auditOutcome(verdict, false).exitCode).toBe(AUDIT_EXIT.notPerformed);
  });
});
