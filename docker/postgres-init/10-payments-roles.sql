-- Database roles of the payments application (README "Security: database roles"). The postgres image runs this
-- once, as POSTGRES_USER (the superuser, also Temporal's), when it initialises an empty volume; on an existing
-- volume run it by hand: docker compose exec -e PAYMENTS_OWNER_PASSWORD=... -e PAYMENTS_APP_PASSWORD=... postgres
--   psql -U payments -d payments -f /docker-entrypoint-initdb.d/10-payments-roles.sql
--
--   payments_owner  owns the payments database and its tables; the migrate service connects as it
--   payments_app    gateway and worker; `npm run migrate` grants it only what the application needs (src/db/roles.ts)
\getenv owner_password PAYMENTS_OWNER_PASSWORD
\getenv app_password PAYMENTS_APP_PASSWORD

create role payments_owner with login nosuperuser nocreatedb nocreaterole noreplication nobypassrls password :'owner_password';
create role payments_app with login nosuperuser nocreatedb nocreaterole noreplication nobypassrls password :'app_password';
alter database payments owner to payments_owner;
