import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_SERVICES } from './local/platform-env';
import { bindPasswords, provisionStatements, renderProvisionSql } from './local/provisioning-sql';

describe('deploy/sql/provision.sql', () => {
  it('is what tools/local/provisioning-sql.ts renders (npm run generate:provision-sql)', () => {
    const file = readFileSync(join(__dirname, '../deploy/sql/provision.sql'), 'utf8');

    expect(file).toBe(renderProvisionSql(DATA_SERVICES));
  });

  it('holds every statement the embedded platform runs, in the same order', () => {
    const file = renderProvisionSql(DATA_SERVICES);
    let at = 0;
    for (const statement of provisionStatements(DATA_SERVICES)) {
      const found = file.indexOf(statement, at);
      expect(found).toBeGreaterThanOrEqual(at);
      at = found + statement.length;
    }
  });
});

describe(bindPasswords.name, () => {
  it('quotes each role its own password and leaves no placeholder', () => {
    const bound = bindPasswords(
      provisionStatements(['alpha']),
      ['alpha'],
      (v) => `<${v}>`,
      (s, kind) => `${s}-${kind}`,
    );

    expect(bound.filter((s) => s.includes('PASSWORD'))).toEqual([
      expect.stringMatching(/"svc_alpha_owner" .* PASSWORD <alpha-owner>$/),
      expect.stringMatching(/"svc_alpha" .* PASSWORD <alpha-runtime>$/),
    ]);
    expect(bound.join('\n')).not.toMatch(/:'/);
  });

  it('refuses an empty password', () => {
    expect(() =>
      bindPasswords(provisionStatements(['alpha']), ['alpha'], String, () => ''),
    ).toThrow(/no owner password for alpha/);
  });
});
