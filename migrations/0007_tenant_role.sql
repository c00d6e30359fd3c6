-- launchproof schema, version 7: the tenant role. Row-level security binds no superuser and no
-- role with BYPASSRLS, and PGlite runs every query as its superuser; so every tenant transaction
-- switches to this role, which may touch rows and nothing else, and the policies bind it whatever
-- the connection is. Operations across tenants (migrations, sweeps) stay on the connecting role.
--
-- Roles belong to the cluster, not the database: another database of the same cluster may have
-- made the role already, or two migrations may race to. The connecting role needs CREATEROLE to
-- make it (or a superuser makes it beforehand, see README "Database roles"), and must be able to
-- SET ROLE to it. Each failure names the statement that fixes it.
do $$
declare
  -- PostgreSQL 16 split membership into ADMIN, INHERIT and SET; SET ROLE needs SET.
  split_membership constant boolean := current_setting('server_version_num')::int >= 160000;
  can_set boolean;
begin
  if not exists (select 1 from pg_roles where rolname = 'launchproof_tenant') then
    begin
      create role launchproof_tenant nologin nosuperuser nocreatedb nocreaterole nobypassrls;
    exception
      when duplicate_object or unique_violation then null; -- made meanwhile by a migration of another database
      when insufficient_privilege then
        raise exception 'launchproof: role launchproof_tenant does not exist and % may not create it. Have a superuser run: CREATE ROLE launchproof_tenant NOLOGIN; GRANT launchproof_tenant TO %; (or give % CREATEROLE), then migrate again',
          current_user, quote_ident(current_user), quote_ident(current_user);
    end;
  end if;

  if exists (select 1 from pg_roles where rolname = 'launchproof_tenant' and (rolsuper or rolbypassrls)) then
    raise exception 'launchproof: role launchproof_tenant exists with SUPERUSER or BYPASSRLS, so row-level security would not bind it. Run: ALTER ROLE launchproof_tenant NOSUPERUSER NOBYPASSRLS; then migrate again';
  end if;

  if split_membership then
    execute 'select pg_has_role(current_user, ''launchproof_tenant'', ''SET'')' into can_set;
  else
    can_set := pg_has_role(current_user, 'launchproof_tenant', 'MEMBER');
  end if;
  if not can_set then
    begin
      if split_membership then
        execute format('grant launchproof_tenant to %I with inherit false, set true', current_user);
      else
        execute format('grant launchproof_tenant to %I', current_user);
      end if;
    exception when insufficient_privilege then
      raise exception 'launchproof: % may not SET ROLE launchproof_tenant and may not grant it to itself. Have a superuser run: GRANT launchproof_tenant TO %; then migrate again',
        current_user, quote_ident(current_user);
    end;
  end if;
end
$$;

-- Rows of every table, and nothing else: no TRUNCATE, no REFERENCES, no TRIGGER, no DDL, and not
-- the migration history. The view attestation_slots runs with the invoker's rights, so it needs
-- its tables' grants as well as its own.
grant usage on schema public to launchproof_tenant;
grant select, insert, update, delete on all tables in schema public to launchproof_tenant;
revoke all on schema_migrations from launchproof_tenant;
grant usage, select on all sequences in schema public to launchproof_tenant;

-- Tables later migrations create get the same grants, as long as the same role runs them.
alter default privileges in schema public grant select, insert, update, delete on tables to launchproof_tenant;
alter default privileges in schema public grant usage, select on sequences to launchproof_tenant;
