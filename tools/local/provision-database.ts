import { Client } from 'pg';
import {
  assertServiceNames,
  bindPasswords,
  ownerRoleName,
  provisionStatements,
  RoleKind,
  runtimeRoleName,
} from './provisioning-sql';

export { passwordVariable } from './provisioning-sql';
export type { RoleKind } from './provisioning-sql';

/** Where a service connects: `owner` for its migrations only, `runtime` for the app. */
export interface ServiceDatabaseUrls {
  owner: string;
  runtime: string;
}

/**
 * Runs the provisioning statements (tools/local/provisioning-sql.ts, the same ones
 * deploy/sql/provision.sql holds) in one transaction with an admin connection, and returns each
 * service's owner and runtime DATABASE_URL. Safe to re-run: passwords are reset, grants restored.
 */
export async function provisionDatabase(
  adminUrl: string,
  services: string[],
  passwordFor: (service: string, kind: RoleKind) => string,
): Promise<Record<string, ServiceDatabaseUrls>> {
  assertServiceNames(services);
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const statements = bindPasswords(
      provisionStatements(services),
      services,
      (value) => client.escapeLiteral(value),
      passwordFor,
    );
    await client.query('BEGIN');
    for (const statement of statements) await client.query(statement);
    await client.query('COMMIT');
    return Object.fromEntries(
      services.map((s) => [
        s,
        {
          owner: serviceUrl(adminUrl, ownerRoleName(s), passwordFor(s, 'owner')),
          runtime: serviceUrl(adminUrl, runtimeRoleName(s), passwordFor(s, 'runtime')),
        },
      ]),
    );
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await client.end();
  }
}

function serviceUrl(adminUrl: string, role: string, password: string): string {
  const url = new URL(adminUrl);
  url.username = encodeURIComponent(role);
  url.password = encodeURIComponent(password);
  return url.toString();
}
