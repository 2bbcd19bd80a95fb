-- Creates each service's login role and the schema it owns in the `rewards` database.
--
-- Run with psql (it uses \getenv, \gset, \gexec and \if) as an admin connected to `rewards`:
--   psql "$ADMIN_DATABASE_URL" --no-psqlrc -f deploy/sql/provision.sql
-- The admin must be a superuser (or hold CREATEROLE and be able to SET ROLE to the svc_* roles).
-- Passwords come from BOOKINGS_DB_PASSWORD, REFERRALS_DB_PASSWORD, WALLET_DB_PASSWORD and
-- PAYOUTS_DB_PASSWORD. Idempotent: re-running it resets the passwords and changes nothing else.
-- Used by docker-compose.yml (`provision`) and the Kubernetes Job `provision-database`.

\set ON_ERROR_STOP on

\getenv bookings_password BOOKINGS_DB_PASSWORD
\getenv referrals_password REFERRALS_DB_PASSWORD
\getenv wallet_password WALLET_DB_PASSWORD
\getenv payouts_password PAYOUTS_DB_PASSWORD

-- Fail loudly on a missing or empty password rather than create a role nobody can log in as.
SELECT :{?bookings_password} AND :{?referrals_password} AND :{?wallet_password}
   AND :{?payouts_password} AS passwords_set \gset
\if :passwords_set
SELECT least(length(:'bookings_password'), length(:'referrals_password'),
             length(:'wallet_password'), length(:'payouts_password')) > 0 AS passwords_set \gset
\endif
\if :passwords_set
\else
DO $$ BEGIN RAISE EXCEPTION 'set BOOKINGS_DB_PASSWORD, REFERRALS_DB_PASSWORD, WALLET_DB_PASSWORD and PAYOUTS_DB_PASSWORD'; END $$;
\endif

BEGIN;

-- Nobody but a schema's owner may create objects: not in public, not in another service's schema.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

-- bookings
SELECT 'CREATE ROLE svc_bookings'
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'svc_bookings') \gexec
ALTER ROLE svc_bookings WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'bookings_password';
CREATE SCHEMA IF NOT EXISTS bookings AUTHORIZATION svc_bookings;
ALTER SCHEMA bookings OWNER TO svc_bookings;
ALTER ROLE svc_bookings SET search_path = bookings;

-- referrals
SELECT 'CREATE ROLE svc_referrals'
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'svc_referrals') \gexec
ALTER ROLE svc_referrals WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'referrals_password';
CREATE SCHEMA IF NOT EXISTS referrals AUTHORIZATION svc_referrals;
ALTER SCHEMA referrals OWNER TO svc_referrals;
ALTER ROLE svc_referrals SET search_path = referrals;

-- wallet
SELECT 'CREATE ROLE svc_wallet'
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'svc_wallet') \gexec
ALTER ROLE svc_wallet WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'wallet_password';
CREATE SCHEMA IF NOT EXISTS wallet AUTHORIZATION svc_wallet;
ALTER SCHEMA wallet OWNER TO svc_wallet;
ALTER ROLE svc_wallet SET search_path = wallet;

-- payouts
SELECT 'CREATE ROLE svc_payouts'
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'svc_payouts') \gexec
ALTER ROLE svc_payouts WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'payouts_password';
CREATE SCHEMA IF NOT EXISTS payouts AUTHORIZATION svc_payouts;
ALTER SCHEMA payouts OWNER TO svc_payouts;
ALTER ROLE svc_payouts SET search_path = payouts;

COMMIT;
