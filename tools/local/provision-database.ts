import { Client } from 'pg';

const NAME_PATTERN = /^[a-z][a-z0-9_]*$/;
// Serialises concurrent provisioners (e.g. two test workers) on the same database.
const PROVISION_LOCK_KEY = 0x72657764;

export function serviceRoleName(service: string): string {
  return `svc_${service}`;
}

/**
 * Creates, for each service, a login role `svc_<name>` owning schema `<name>` (its search_path),
 * with CONNECT on the database and no access to any other service's schema. Safe to re-run:
 * existing roles get their password reset. Returns each service's DATABASE_URL.
 */
export async function provisionDatabase(
  adminUrl: string,
  services: string[],
  passwordFor: (service: string) => string,
): Promise<Record<string, string>> {
  for (const service of services) {
    // Identifiers (max 63 bytes) are truncated silently, which could merge two roles.
    if (!NAME_PATTERN.test(service) || serviceRoleName(service).length > 63) {
      throw new Error(`invalid service name '${service}': must match ${NAME_PATTERN}, <= 59 chars`);
    }
  }
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [PROVISION_LOCK_KEY]);
    const database = await currentDatabase(client);
    const db = client.escapeIdentifier(database);
    await client.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
    await client.query(`REVOKE ALL ON DATABASE ${db} FROM PUBLIC`);
    for (const service of services) {
      const role = client.escapeIdentifier(serviceRoleName(service));
      await upsertLoginRole(client, serviceRoleName(service), passwordFor(service));
      await provisionSchema(client, service);
      await client.query(
        `ALTER ROLE ${role} SET search_path = ${client.escapeIdentifier(service)}`,
      );
      await client.query(`GRANT CONNECT ON DATABASE ${db} TO ${role}`);
    }
    for (const service of services) await isolateSchema(client, service, services);
    await client.query('COMMIT');
    return Object.fromEntries(
      services.map((s) => [s, serviceUrl(adminUrl, serviceRoleName(s), passwordFor(s))]),
    );
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await client.end();
  }
}

async function currentDatabase(client: Client): Promise<string> {
  const result = await client.query<{ name: string }>('SELECT current_database() AS name');
  return result.rows[0].name;
}

async function upsertLoginRole(client: Client, role: string, password: string): Promise<void> {
  const existing = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
  const verb = existing.rowCount === 0 ? 'CREATE' : 'ALTER';
  // DDL takes no bind parameters, hence the escaped literal.
  await client.query(
    `${verb} ROLE ${client.escapeIdentifier(role)} WITH LOGIN PASSWORD ${client.escapeLiteral(password)}`,
  );
}

async function provisionSchema(client: Client, service: string): Promise<void> {
  const schema = client.escapeIdentifier(service);
  const role = client.escapeIdentifier(serviceRoleName(service));
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema} AUTHORIZATION ${role}`);
  // A schema left over from an earlier owner must still belong to the service.
  await client.query(`ALTER SCHEMA ${schema} OWNER TO ${role}`);
}

// Strips every grant on the schema except the owner's, and membership of the owner role by
// other services, so a cross-schema read fails with `permission denied`.
async function isolateSchema(client: Client, service: string, services: string[]): Promise<void> {
  const schema = client.escapeIdentifier(service);
  const grantees = await client.query<{ grantee: string | null }>(
    `SELECT DISTINCT r.rolname AS grantee
       FROM pg_namespace n
       CROSS JOIN LATERAL aclexplode(n.nspacl) a
       LEFT JOIN pg_roles r ON r.oid = a.grantee
      WHERE n.nspname = $1 AND a.grantee <> n.nspowner`,
    [service],
  );
  for (const { grantee } of grantees.rows) {
    const target = grantee === null ? 'PUBLIC' : client.escapeIdentifier(grantee);
    await client.query(`REVOKE ALL ON SCHEMA ${schema} FROM ${target}`);
  }
  const owner = serviceRoleName(service);
  const members = await client.query<{ member: string }>(
    `SELECT m.rolname AS member
       FROM pg_auth_members am
       JOIN pg_roles o ON o.oid = am.roleid
       JOIN pg_roles m ON m.oid = am.member
      WHERE o.rolname = $1 AND m.rolname = ANY($2::text[])`,
    [owner, services.filter((s) => s !== service).map(serviceRoleName)],
  );
  for (const { member } of members.rows) {
    await client.query(
      `REVOKE ${client.escapeIdentifier(owner)} FROM ${client.escapeIdentifier(member)}`,
    );
  }
}

function serviceUrl(adminUrl: string, role: string, password: string): string {
  const url = new URL(adminUrl);
  url.username = encodeURIComponent(role);
  url.password = encodeURIComponent(password);
  return url.toString();
}
