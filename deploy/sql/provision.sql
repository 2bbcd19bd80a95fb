-- GENERATED from tools/local/provisioning-sql.ts by `npm run generate:provision-sql`.
-- Do not edit: tools/provision-sql.spec.ts fails when this file and the generator differ.
--
-- Creates each service's owner role (owns its schema, runs migrations) and runtime role (the
-- app: owns nothing; DML on the tables the owner creates; no TRUNCATE, no DDL) in the current
-- database. Run with psql as an admin (superuser, or CREATEROLE and member of the roles):
--   psql "$ADMIN_DATABASE_URL" --no-psqlrc -f deploy/sql/provision.sql
-- Passwords come from BOOKINGS_DB_OWNER_PASSWORD, BOOKINGS_DB_PASSWORD, REFERRALS_DB_OWNER_PASSWORD, REFERRALS_DB_PASSWORD, WALLET_DB_OWNER_PASSWORD, WALLET_DB_PASSWORD, PAYOUTS_DB_OWNER_PASSWORD, PAYOUTS_DB_PASSWORD.
-- Idempotent: re-running it resets the passwords and restores the grants.
-- Used by docker-compose.yml (`provision`) and the Kubernetes Job `provision-database`.

\set ON_ERROR_STOP on

\getenv bookings_owner_password BOOKINGS_DB_OWNER_PASSWORD
\getenv bookings_runtime_password BOOKINGS_DB_PASSWORD
\getenv referrals_owner_password REFERRALS_DB_OWNER_PASSWORD
\getenv referrals_runtime_password REFERRALS_DB_PASSWORD
\getenv wallet_owner_password WALLET_DB_OWNER_PASSWORD
\getenv wallet_runtime_password WALLET_DB_PASSWORD
\getenv payouts_owner_password PAYOUTS_DB_OWNER_PASSWORD
\getenv payouts_runtime_password PAYOUTS_DB_PASSWORD

-- Fail loudly on a missing or empty password rather than create a role nobody can log in as.
SELECT :{?bookings_owner_password} AND :{?bookings_runtime_password} AND :{?referrals_owner_password} AND :{?referrals_runtime_password} AND :{?wallet_owner_password} AND :{?wallet_runtime_password} AND :{?payouts_owner_password} AND :{?payouts_runtime_password} AS passwords_set \gset
\if :passwords_set
SELECT least(length(:'bookings_owner_password'), length(:'bookings_runtime_password'), length(:'referrals_owner_password'), length(:'referrals_runtime_password'), length(:'wallet_owner_password'), length(:'wallet_runtime_password'), length(:'payouts_owner_password'), length(:'payouts_runtime_password')) > 0 AS passwords_set \gset
\endif
\if :passwords_set
\else
DO $$ BEGIN RAISE EXCEPTION 'set BOOKINGS_DB_OWNER_PASSWORD, BOOKINGS_DB_PASSWORD, REFERRALS_DB_OWNER_PASSWORD, REFERRALS_DB_PASSWORD, WALLET_DB_OWNER_PASSWORD, WALLET_DB_PASSWORD, PAYOUTS_DB_OWNER_PASSWORD, PAYOUTS_DB_PASSWORD'; END $$;
\endif

BEGIN;

SELECT pg_advisory_xact_lock(1919252324);

-- Nobody but a schema owner creates objects: not in public, not in another schema.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
DO $$ BEGIN
  EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
END $$;

-- bookings: owner svc_bookings_owner (migrations), runtime svc_bookings (the app)
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'svc_bookings_owner') THEN
    CREATE ROLE "svc_bookings_owner";
  END IF;
END $$;
ALTER ROLE "svc_bookings_owner" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'bookings_owner_password';
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'svc_bookings') THEN
    CREATE ROLE "svc_bookings";
  END IF;
END $$;
ALTER ROLE "svc_bookings" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'bookings_runtime_password';
CREATE SCHEMA IF NOT EXISTS "bookings" AUTHORIZATION "svc_bookings_owner";
ALTER SCHEMA "bookings" OWNER TO "svc_bookings_owner";
DO $$ BEGIN
  IF EXISTS (SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = 'bookings' AND c.relowner = 'svc_bookings'::regrole) THEN
    REASSIGN OWNED BY "svc_bookings" TO "svc_bookings_owner";
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "bookings" TO "svc_bookings";
    GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "bookings" TO "svc_bookings";
  END IF;
END $$;
DO $$ DECLARE grantee text; BEGIN
  FOR grantee IN SELECT DISTINCT coalesce(r.rolname, 'PUBLIC')
                   FROM pg_namespace n CROSS JOIN LATERAL aclexplode(n.nspacl) a
                   LEFT JOIN pg_roles r ON r.oid = a.grantee
                  WHERE n.nspname = 'bookings' AND a.grantee <> n.nspowner
                    AND coalesce(r.rolname, '') <> 'svc_bookings' LOOP
    EXECUTE format('REVOKE ALL ON SCHEMA %I FROM %s', 'bookings',
                   CASE WHEN grantee = 'PUBLIC' THEN 'PUBLIC' ELSE quote_ident(grantee) END);
  END LOOP;
END $$;
GRANT USAGE ON SCHEMA "bookings" TO "svc_bookings";
REVOKE CREATE ON SCHEMA "bookings" FROM "svc_bookings";
ALTER DEFAULT PRIVILEGES FOR ROLE "svc_bookings_owner" IN SCHEMA "bookings" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "svc_bookings";
ALTER DEFAULT PRIVILEGES FOR ROLE "svc_bookings_owner" IN SCHEMA "bookings" GRANT USAGE, SELECT ON SEQUENCES TO "svc_bookings";
ALTER ROLE "svc_bookings_owner" SET search_path = "bookings";
ALTER ROLE "svc_bookings" SET search_path = "bookings";
DO $$ BEGIN
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO "svc_bookings_owner", "svc_bookings"', current_database());
END $$;
DO $$ DECLARE pair record; BEGIN
  FOR pair IN SELECT g.rolname AS granted, m.rolname AS member
                FROM pg_auth_members am
                JOIN pg_roles g ON g.oid = am.roleid JOIN pg_roles m ON m.oid = am.member
               WHERE (g.rolname IN ('svc_bookings_owner', 'svc_bookings')
                      AND m.rolname IN ('svc_referrals_owner', 'svc_referrals', 'svc_wallet_owner', 'svc_wallet', 'svc_payouts_owner', 'svc_payouts'))
                  OR (m.rolname = 'svc_bookings'
                      AND g.rolname = 'svc_bookings_owner') LOOP
    EXECUTE format('REVOKE %I FROM %I', pair.granted, pair.member);
  END LOOP;
END $$;

-- referrals: owner svc_referrals_owner (migrations), runtime svc_referrals (the app)
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'svc_referrals_owner') THEN
    CREATE ROLE "svc_referrals_owner";
  END IF;
END $$;
ALTER ROLE "svc_referrals_owner" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'referrals_owner_password';
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'svc_referrals') THEN
    CREATE ROLE "svc_referrals";
  END IF;
END $$;
ALTER ROLE "svc_referrals" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'referrals_runtime_password';
CREATE SCHEMA IF NOT EXISTS "referrals" AUTHORIZATION "svc_referrals_owner";
ALTER SCHEMA "referrals" OWNER TO "svc_referrals_owner";
DO $$ BEGIN
  IF EXISTS (SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = 'referrals' AND c.relowner = 'svc_referrals'::regrole) THEN
    REASSIGN OWNED BY "svc_referrals" TO "svc_referrals_owner";
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "referrals" TO "svc_referrals";
    GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "referrals" TO "svc_referrals";
  END IF;
END $$;
DO $$ DECLARE grantee text; BEGIN
  FOR grantee IN SELECT DISTINCT coalesce(r.rolname, 'PUBLIC')
                   FROM pg_namespace n CROSS JOIN LATERAL aclexplode(n.nspacl) a
                   LEFT JOIN pg_roles r ON r.oid = a.grantee
                  WHERE n.nspname = 'referrals' AND a.grantee <> n.nspowner
                    AND coalesce(r.rolname, '') <> 'svc_referrals' LOOP
    EXECUTE format('REVOKE ALL ON SCHEMA %I FROM %s', 'referrals',
                   CASE WHEN grantee = 'PUBLIC' THEN 'PUBLIC' ELSE quote_ident(grantee) END);
  END LOOP;
END $$;
GRANT USAGE ON SCHEMA "referrals" TO "svc_referrals";
REVOKE CREATE ON SCHEMA "referrals" FROM "svc_referrals";
ALTER DEFAULT PRIVILEGES FOR ROLE "svc_referrals_owner" IN SCHEMA "referrals" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "svc_referrals";
ALTER DEFAULT PRIVILEGES FOR ROLE "svc_referrals_owner" IN SCHEMA "referrals" GRANT USAGE, SELECT ON SEQUENCES TO "svc_referrals";
ALTER ROLE "svc_referrals_owner" SET search_path = "referrals";
ALTER ROLE "svc_referrals" SET search_path = "referrals";
DO $$ BEGIN
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO "svc_referrals_owner", "svc_referrals"', current_database());
END $$;
DO $$ DECLARE pair record; BEGIN
  FOR pair IN SELECT g.rolname AS granted, m.rolname AS member
                FROM pg_auth_members am
                JOIN pg_roles g ON g.oid = am.roleid JOIN pg_roles m ON m.oid = am.member
               WHERE (g.rolname IN ('svc_referrals_owner', 'svc_referrals')
                      AND m.rolname IN ('svc_bookings_owner', 'svc_bookings', 'svc_wallet_owner', 'svc_wallet', 'svc_payouts_owner', 'svc_payouts'))
                  OR (m.rolname = 'svc_referrals'
                      AND g.rolname = 'svc_referrals_owner') LOOP
    EXECUTE format('REVOKE %I FROM %I', pair.granted, pair.member);
  END LOOP;
END $$;

-- wallet: owner svc_wallet_owner (migrations), runtime svc_wallet (the app)
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'svc_wallet_owner') THEN
    CREATE ROLE "svc_wallet_owner";
  END IF;
END $$;
ALTER ROLE "svc_wallet_owner" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'wallet_owner_password';
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'svc_wallet') THEN
    CREATE ROLE "svc_wallet";
  END IF;
END $$;
ALTER ROLE "svc_wallet" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'wallet_runtime_password';
CREATE SCHEMA IF NOT EXISTS "wallet" AUTHORIZATION "svc_wallet_owner";
ALTER SCHEMA "wallet" OWNER TO "svc_wallet_owner";
DO $$ BEGIN
  IF EXISTS (SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = 'wallet' AND c.relowner = 'svc_wallet'::regrole) THEN
    REASSIGN OWNED BY "svc_wallet" TO "svc_wallet_owner";
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "wallet" TO "svc_wallet";
    GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "wallet" TO "svc_wallet";
  END IF;
END $$;
DO $$ DECLARE grantee text; BEGIN
  FOR grantee IN SELECT DISTINCT coalesce(r.rolname, 'PUBLIC')
                   FROM pg_namespace n CROSS JOIN LATERAL aclexplode(n.nspacl) a
                   LEFT JOIN pg_roles r ON r.oid = a.grantee
                  WHERE n.nspname = 'wallet' AND a.grantee <> n.nspowner
                    AND coalesce(r.rolname, '') <> 'svc_wallet' LOOP
    EXECUTE format('REVOKE ALL ON SCHEMA %I FROM %s', 'wallet',
                   CASE WHEN grantee = 'PUBLIC' THEN 'PUBLIC' ELSE quote_ident(grantee) END);
  END LOOP;
END $$;
GRANT USAGE ON SCHEMA "wallet" TO "svc_wallet";
REVOKE CREATE ON SCHEMA "wallet" FROM "svc_wallet";
ALTER DEFAULT PRIVILEGES FOR ROLE "svc_wallet_owner" IN SCHEMA "wallet" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "svc_wallet";
ALTER DEFAULT PRIVILEGES FOR ROLE "svc_wallet_owner" IN SCHEMA "wallet" GRANT USAGE, SELECT ON SEQUENCES TO "svc_wallet";
ALTER ROLE "svc_wallet_owner" SET search_path = "wallet";
ALTER ROLE "svc_wallet" SET search_path = "wallet";
DO $$ BEGIN
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO "svc_wallet_owner", "svc_wallet"', current_database());
END $$;
DO $$ DECLARE pair record; BEGIN
  FOR pair IN SELECT g.rolname AS granted, m.rolname AS member
                FROM pg_auth_members am
                JOIN pg_roles g ON g.oid = am.roleid JOIN pg_roles m ON m.oid = am.member
               WHERE (g.rolname IN ('svc_wallet_owner', 'svc_wallet')
                      AND m.rolname IN ('svc_bookings_owner', 'svc_bookings', 'svc_referrals_owner', 'svc_referrals', 'svc_payouts_owner', 'svc_payouts'))
                  OR (m.rolname = 'svc_wallet'
                      AND g.rolname = 'svc_wallet_owner') LOOP
    EXECUTE format('REVOKE %I FROM %I', pair.granted, pair.member);
  END LOOP;
END $$;

-- payouts: owner svc_payouts_owner (migrations), runtime svc_payouts (the app)
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'svc_payouts_owner') THEN
    CREATE ROLE "svc_payouts_owner";
  END IF;
END $$;
ALTER ROLE "svc_payouts_owner" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'payouts_owner_password';
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'svc_payouts') THEN
    CREATE ROLE "svc_payouts";
  END IF;
END $$;
ALTER ROLE "svc_payouts" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'payouts_runtime_password';
CREATE SCHEMA IF NOT EXISTS "payouts" AUTHORIZATION "svc_payouts_owner";
ALTER SCHEMA "payouts" OWNER TO "svc_payouts_owner";
DO $$ BEGIN
  IF EXISTS (SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = 'payouts' AND c.relowner = 'svc_payouts'::regrole) THEN
    REASSIGN OWNED BY "svc_payouts" TO "svc_payouts_owner";
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "payouts" TO "svc_payouts";
    GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "payouts" TO "svc_payouts";
  END IF;
END $$;
DO $$ DECLARE grantee text; BEGIN
  FOR grantee IN SELECT DISTINCT coalesce(r.rolname, 'PUBLIC')
                   FROM pg_namespace n CROSS JOIN LATERAL aclexplode(n.nspacl) a
                   LEFT JOIN pg_roles r ON r.oid = a.grantee
                  WHERE n.nspname = 'payouts' AND a.grantee <> n.nspowner
                    AND coalesce(r.rolname, '') <> 'svc_payouts' LOOP
    EXECUTE format('REVOKE ALL ON SCHEMA %I FROM %s', 'payouts',
                   CASE WHEN grantee = 'PUBLIC' THEN 'PUBLIC' ELSE quote_ident(grantee) END);
  END LOOP;
END $$;
GRANT USAGE ON SCHEMA "payouts" TO "svc_payouts";
REVOKE CREATE ON SCHEMA "payouts" FROM "svc_payouts";
ALTER DEFAULT PRIVILEGES FOR ROLE "svc_payouts_owner" IN SCHEMA "payouts" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "svc_payouts";
ALTER DEFAULT PRIVILEGES FOR ROLE "svc_payouts_owner" IN SCHEMA "payouts" GRANT USAGE, SELECT ON SEQUENCES TO "svc_payouts";
ALTER ROLE "svc_payouts_owner" SET search_path = "payouts";
ALTER ROLE "svc_payouts" SET search_path = "payouts";
DO $$ BEGIN
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO "svc_payouts_owner", "svc_payouts"', current_database());
END $$;
DO $$ DECLARE pair record; BEGIN
  FOR pair IN SELECT g.rolname AS granted, m.rolname AS member
                FROM pg_auth_members am
                JOIN pg_roles g ON g.oid = am.roleid JOIN pg_roles m ON m.oid = am.member
               WHERE (g.rolname IN ('svc_payouts_owner', 'svc_payouts')
                      AND m.rolname IN ('svc_bookings_owner', 'svc_bookings', 'svc_referrals_owner', 'svc_referrals', 'svc_wallet_owner', 'svc_wallet'))
                  OR (m.rolname = 'svc_payouts'
                      AND g.rolname = 'svc_payouts_owner') LOOP
    EXECUTE format('REVOKE %I FROM %I', pair.granted, pair.member);
  END LOOP;
END $$;

COMMIT;
