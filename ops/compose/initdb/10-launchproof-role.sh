#!/bin/sh
# Run once by the postgres image's entrypoint, when the data volume is new (mounted at
# /docker-entrypoint-initdb.d by compose.yaml), as the image's superuser.
#
# The service must not connect as that superuser: row-level security binds no superuser, and in
# production the service refuses one (src/store/connecting-role.ts). So it gets a role of its own
# that owns the database and its schema, with CREATEROLE so its first migration can create
# launchproof_tenant, the role every tenant transaction runs as (migrations/0007_tenant_role.sql).
# The superuser stays for the operator: pg_dump needs it, since the policies are FORCEd.
set -eu
: "${LAUNCHPROOF_DB_PASSWORD:?set LAUNCHPROOF_DB_PASSWORD (ops/compose-up.sh writes one to .env)}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v db="$POSTGRES_DB" -v password="$LAUNCHPROOF_DB_PASSWORD" <<'SQL'
create role launchproof login nosuperuser nobypassrls createrole password :'password';
alter database :"db" owner to launchproof;
alter schema public owner to launchproof;
SQL
