-- launchproof schema, version 8: a version per tenant of everything the public reads depend on.
--
-- Public documents, verification keys, lists, notices and API-key lookups are served from an
-- in-memory projection in each instance (src/projection/). It stays fresh because every change
-- to what it depends on bumps the tenant's version here, in the same transaction as the change,
-- and announces it with NOTIFY at commit. Instances that listen drop the tenant's entries at
-- once; every instance also polls the sum of all versions, so a lost notification costs at most
-- one poll interval. The Workers runtime, which cannot listen, reads a tenant's version before
-- trusting anything older than its bound.
--
-- Triggers rather than calls in the code: a write path that forgets to announce itself would
-- serve stale keys or lists, and a trigger cannot be forgotten. They fire only on what the
-- projection serves (key lifecycle instants, not the signed_until every issuance moves), so an
-- issuance never bumps a version and never queues on this table.

create table publication_versions (
  tenant_id  text primary key,
  version    bigint not null
);

-- Nothing here is secret (tenant ids are in every public URL), and the tenant role must read it
-- in the same transaction as the rows it describes. Only the trigger writes it, as its owner.
revoke insert, update, delete on publication_versions from launchproof_tenant;
grant select on publication_versions to launchproof_tenant;

-- One bump: the tenant's version grows by one, and listeners hear the new value at commit.
create function bump_tenant_version(tenant text) returns void
language plpgsql security definer set search_path = public, pg_temp as $$
declare
  bumped bigint;
begin
  insert into publication_versions as v (tenant_id, version) values (tenant, 1)
    on conflict (tenant_id) do update set version = v.version + 1
    returning version into bumped;
  perform pg_notify('launchproof_publication', tenant || ' ' || bumped);
end
$$;

-- Per row; the trigger's argument names the column holding the tenant (tenants names itself by id).
create function bump_publication_version() returns trigger
language plpgsql security definer set search_path = public, pg_temp as $$
begin
  if tg_op = 'DELETE' then
    perform bump_tenant_version(to_jsonb(old) ->> tg_argv[0]);
  else
    perform bump_tenant_version(to_jsonb(new) ->> tg_argv[0]);
  end if;
  return null;
end
$$;

-- A bulk revocation inserts one change per attestation: one bump per tenant and statement, not per row.
create function bump_publication_versions_of_changes() returns trigger
language plpgsql security definer set search_path = public, pg_temp as $$
declare
  r record;
begin
  for r in select distinct tenant_id from changed loop
    perform bump_tenant_version(r.tenant_id);
  end loop;
  return null;
end
$$;

revoke all on function bump_tenant_version(text) from public;
revoke all on function bump_publication_version() from public;
revoke all on function bump_publication_versions_of_changes() from public;

create trigger publication_version after insert or delete on tenants
  for each row execute function bump_publication_version('id');
create trigger publication_version_update after update of name, key_policy on tenants
  for each row execute function bump_publication_version('id');

-- Key lifecycle: what the DID document, the JWK Set and verification show.
create trigger publication_version after insert or delete on signing_keys
  for each row execute function bump_publication_version('tenant_id');
create trigger publication_version_update after update on signing_keys
  for each row
  when ((old.activated_at, old.retired_at, old.publish_until, old.revoked_at, old.public_jwk)
        is distinct from (new.activated_at, new.retired_at, new.publish_until, new.revoked_at, new.public_jwk))
  execute function bump_publication_version('tenant_id');

-- A new signed copy of a list, and the change that explains it (the public reason in notices).
create trigger publication_version after insert or update or delete on status_publications
  for each row execute function bump_publication_version('tenant_id');
create trigger publication_version after insert on status_changes
  referencing new table as changed
  for each statement execute function bump_publication_versions_of_changes();

-- A tenant's profile versions are immutable: only their arrival and removal change what is served.
create trigger publication_version after insert or delete on tenant_profiles
  for each row execute function bump_publication_version('tenant_id');

-- A successor changes the predecessor's notice; other issuances change nothing public.
create trigger publication_version after insert on attestations
  for each row when (new.supersedes is not null) execute function bump_publication_version('tenant_id');

-- API keys: a revoked key must stop working on every instance within the same bound.
create trigger publication_version after insert or delete on api_keys
  for each row execute function bump_publication_version('tenant_id');
create trigger publication_version_update after update of revoked_at, roles on api_keys
  for each row execute function bump_publication_version('tenant_id');
