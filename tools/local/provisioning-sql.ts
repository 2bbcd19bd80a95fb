// The one definition of each service's Postgres roles, schema and grants. The embedded platform
// and the tests run these statements (tools/local/provision-database.ts); deploy/sql/provision.sql,
// which docker-compose and the Kubernetes Job run with psql, is rendered from them
// (`npm run generate:provision-sql`; tools/provision-sql.spec.ts fails when the file drifts).

const NAME_PATTERN = /^[a-z][a-z0-9_]*$/;

/** Serialises concurrent provisioners (two test workers, two Job pods) on one database. */
const PROVISION_LOCK_KEY = 0x72657764;

export type RoleKind = 'owner' | 'runtime';

/** The role the service's app connects as: owns nothing, holds only the grants below. */
export function runtimeRoleName(service: string): string {
  return `svc_${service}`;
}

/** The role that owns the service's schema and everything in it; only migrations use it. */
export function ownerRoleName(service: string): string {
  return `svc_${service}_owner`;
}

/** `WALLET_DB_PASSWORD` (runtime) and `WALLET_DB_OWNER_PASSWORD`: where each password is read. */
export function passwordVariable(service: string, kind: RoleKind): string {
  return `${service.toUpperCase()}_DB_${kind === 'owner' ? 'OWNER_' : ''}PASSWORD`;
}

/** The psql variable a statement names as `:'<name>'` for a role's password. */
function passwordPlaceholder(service: string, kind: RoleKind): string {
  return `${service}_${kind}_password`;
}

/** What the runtime role may do on every table the owner creates (now or later). */
const RUNTIME_TABLE_PRIVILEGES = 'SELECT, INSERT, UPDATE, DELETE';
const RUNTIME_SEQUENCE_PRIVILEGES = 'USAGE, SELECT';

export function assertServiceNames(services: readonly string[]): void {
  for (const service of services) {
    // Identifiers (max 63 bytes) are truncated silently, which could merge two roles.
    if (!NAME_PATTERN.test(service) || ownerRoleName(service).length > 63) {
      throw new Error(`invalid service name '${service}': must match ${NAME_PATTERN}, <= 53 chars`);
    }
  }
}

const ident = (name: string) => `"${name}"`;
const literal = (name: string) => `'${name}'`;

const LOGIN_ATTRIBUTES = 'LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS';

function upsertRole(role: string, placeholder: string): string[] {
  return [
    `DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = ${literal(role)}) THEN
    CREATE ROLE ${ident(role)};
  END IF;
END $$`,
    `ALTER ROLE ${ident(role)} WITH ${LOGIN_ATTRIBUTES} PASSWORD :'${placeholder}'`,
  ];
}

function serviceStatements(service: string, all: readonly string[]): string[] {
  const schema = ident(service);
  const owner = ident(ownerRoleName(service));
  const runtime = ident(runtimeRoleName(service));
  const others = all
    .filter((s) => s !== service)
    .flatMap((s) => [ownerRoleName(s), runtimeRoleName(s)]);
  return [
    `-- ${service}: owner ${ownerRoleName(service)} (migrations), runtime ${runtimeRoleName(service)} (the app)`,
    ...upsertRole(ownerRoleName(service), passwordPlaceholder(service, 'owner')),
    ...upsertRole(runtimeRoleName(service), passwordPlaceholder(service, 'runtime')),
    `CREATE SCHEMA IF NOT EXISTS ${schema} AUTHORIZATION ${owner}`,
    `ALTER SCHEMA ${schema} OWNER TO ${owner}`,
    // Before owner and runtime were split, the runtime role owned the schema's objects. Hand them
    // to the owner once, keeping the app's access; the wallet's migrations then take back what
    // its ledger must never allow (UPDATE, DELETE). Nothing happens once the runtime owns nothing.
    `DO $$ BEGIN
  IF EXISTS (SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = ${literal(service)} AND c.relowner = ${literal(runtimeRoleName(service))}::regrole) THEN
    REASSIGN OWNED BY ${runtime} TO ${owner};
    GRANT ${RUNTIME_TABLE_PRIVILEGES} ON ALL TABLES IN SCHEMA ${schema} TO ${runtime};
    GRANT ${RUNTIME_SEQUENCE_PRIVILEGES} ON ALL SEQUENCES IN SCHEMA ${schema} TO ${runtime};
  END IF;
END $$`,
    // Only the owner and the runtime role may use the schema; anything else granted goes.
    `DO $$ DECLARE grantee text; BEGIN
  FOR grantee IN SELECT DISTINCT coalesce(r.rolname, 'PUBLIC')
                   FROM pg_namespace n CROSS JOIN LATERAL aclexplode(n.nspacl) a
                   LEFT JOIN pg_roles r ON r.oid = a.grantee
                  WHERE n.nspname = ${literal(service)} AND a.grantee <> n.nspowner
                    AND coalesce(r.rolname, '') <> ${literal(runtimeRoleName(service))} LOOP
    EXECUTE format('REVOKE ALL ON SCHEMA %I FROM %s', ${literal(service)},
                   CASE WHEN grantee = 'PUBLIC' THEN 'PUBLIC' ELSE quote_ident(grantee) END);
  END LOOP;
END $$`,
    `GRANT USAGE ON SCHEMA ${schema} TO ${runtime}`,
    `REVOKE CREATE ON SCHEMA ${schema} FROM ${runtime}`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA ${schema} GRANT ${RUNTIME_TABLE_PRIVILEGES} ON TABLES TO ${runtime}`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA ${schema} GRANT ${RUNTIME_SEQUENCE_PRIVILEGES} ON SEQUENCES TO ${runtime}`,
    `ALTER ROLE ${owner} SET search_path = ${schema}`,
    `ALTER ROLE ${runtime} SET search_path = ${schema}`,
    `DO $$ BEGIN
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO ${owner}, ${runtime}', current_database());
END $$`,
    // No other service's role may act as one of this service's roles.
    `DO $$ DECLARE pair record; BEGIN
  FOR pair IN SELECT g.rolname AS granted, m.rolname AS member
                FROM pg_auth_members am
                JOIN pg_roles g ON g.oid = am.roleid JOIN pg_roles m ON m.oid = am.member
               WHERE (g.rolname IN (${literal(ownerRoleName(service))}, ${literal(runtimeRoleName(service))})
                      AND m.rolname IN (${others.map(literal).join(', ') || "''"}))
                  OR (m.rolname = ${literal(runtimeRoleName(service))}
                      AND g.rolname = ${literal(ownerRoleName(service))}) LOOP
    EXECUTE format('REVOKE %I FROM %I', pair.granted, pair.member);
  END LOOP;
END $$`,
  ];
}

/**
 * Every statement, in order, to run in one transaction as an admin (a superuser, or CREATEROLE
 * with membership in the roles it creates). Passwords appear as psql variables `:'<name>'`
 * (see passwordPlaceholder). Idempotent: a re-run resets passwords and restores the grants.
 */
export function provisionStatements(services: readonly string[]): string[] {
  assertServiceNames(services);
  return [
    `SELECT pg_advisory_xact_lock(${PROVISION_LOCK_KEY})`,
    '-- Nobody but a schema owner creates objects: not in public, not in another schema.',
    'REVOKE CREATE ON SCHEMA public FROM PUBLIC',
    `DO $$ BEGIN
  EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
END $$`,
    ...services.flatMap((s) => serviceStatements(s, services)),
  ];
}

const isComment = (statement: string) => statement.startsWith('--');

/** The statements with each password placeholder replaced by `quote(password)`. */
export function bindPasswords(
  statements: readonly string[],
  services: readonly string[],
  quote: (value: string) => string,
  passwordFor: (service: string, kind: RoleKind) => string,
): string[] {
  const values = new Map<string, string>();
  for (const service of services) {
    for (const kind of ['owner', 'runtime'] as const) {
      const password = passwordFor(service, kind);
      if (!password) throw new Error(`no ${kind} password for ${service}`);
      values.set(passwordPlaceholder(service, kind), quote(password));
    }
  }
  return statements
    .filter((s) => !isComment(s))
    .map((s) =>
      s.replace(/:'([a-z0-9_]+)'/g, (_, name: string) => {
        const value = values.get(name);
        if (value === undefined) throw new Error(`no value for :'${name}'`);
        return value;
      }),
    );
}

/** deploy/sql/provision.sql: the same statements as a psql script reading passwords from env. */
export function renderProvisionSql(services: readonly string[]): string {
  const variables = services.flatMap((s) =>
    (['owner', 'runtime'] as const).map((kind) => ({
      name: passwordPlaceholder(s, kind),
      env: passwordVariable(s, kind),
    })),
  );
  const header = [
    '-- GENERATED from tools/local/provisioning-sql.ts by `npm run generate:provision-sql`.',
    '-- Do not edit: tools/provision-sql.spec.ts fails when this file and the generator differ.',
    '--',
    "-- Creates each service's owner role (owns its schema, runs migrations) and runtime role (the",
    '-- app: owns nothing; DML on the tables the owner creates; no TRUNCATE, no DDL) in the current',
    '-- database. Run with psql as an admin (superuser, or CREATEROLE and member of the roles):',
    '--   psql "$ADMIN_DATABASE_URL" --no-psqlrc -f deploy/sql/provision.sql',
    `-- Passwords come from ${variables.map((v) => v.env).join(', ')}.`,
    '-- Idempotent: re-running it resets the passwords and restores the grants.',
    '-- Used by docker-compose.yml (`provision`) and the Kubernetes Job `provision-database`.',
    '',
    '\\set ON_ERROR_STOP on',
    '',
    ...variables.map((v) => `\\getenv ${v.name} ${v.env}`),
    '',
    '-- Fail loudly on a missing or empty password rather than create a role nobody can log in as.',
    `SELECT ${variables.map((v) => `:{?${v.name}}`).join(' AND ')} AS passwords_set \\gset`,
    '\\if :passwords_set',
    `SELECT least(${variables.map((v) => `length(:'${v.name}')`).join(', ')}) > 0 AS passwords_set \\gset`,
    '\\endif',
    '\\if :passwords_set',
    '\\else',
    `DO $$ BEGIN RAISE EXCEPTION 'set ${variables.map((v) => v.env).join(', ')}'; END $$;`,
    '\\endif',
    '',
    'BEGIN;',
    '',
  ];
  const body = provisionStatements(services).map((s) => (isComment(s) ? `\n${s}` : `${s};`));
  return `${[...header, ...body, '', 'COMMIT;'].join('\n')}\n`;
}
