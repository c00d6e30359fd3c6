-- launchproof schema, version 1: tenants, their signing keys, operator API keys, audit events.
-- PostgreSQL 15 syntax (it also runs on PGlite). Forward only: never edit once released.

create table tenants (
  id          text primary key check (id ~ '^(_platform|[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)$'),
  name        text not null check (length(name) between 1 and 200),
  key_policy  jsonb not null,
  created_at  timestamptz not null
);

-- A key's state is a function of these instants and the clock, never a stored column:
-- next (created, not activated) -> active -> retired (published until publish_until)
-- -> expired (kept for history), or revoked at revoked_at (unpublished at once).
create table signing_keys (
  tenant_id          text not null references tenants (id) on delete restrict,
  kid                text not null check (kid ~ '^[A-Za-z0-9_-]{43}$'),
  alg                text not null check (alg in ('ES256', 'EdDSA')),
  public_jwk         jsonb not null,
  private_jwk_enc    text not null,
  kek_id             text not null,
  created_at         timestamptz not null,
  activated_at       timestamptz,
  retired_at         timestamptz,
  publish_until      timestamptz,
  revoked_at         timestamptz,
  revocation_reason  text,
  -- Latest expiry of anything this key signed: its retirement window may never end before it.
  signed_until       timestamptz,
  primary key (tenant_id, kid),
  check (activated_at is null or activated_at >= created_at),
  check (retired_at is null or (activated_at is not null and retired_at >= activated_at)),
  check ((retired_at is null) = (publish_until is null)),
  check ((revoked_at is null) = (revocation_reason is null))
);
-- At most one signing key and one waiting key per tenant: concurrent rotations cannot both win.
create unique index signing_keys_one_active on signing_keys (tenant_id)
  where activated_at is not null and retired_at is null and revoked_at is null;
create unique index signing_keys_one_next on signing_keys (tenant_id)
  where activated_at is null and revoked_at is null;

create table api_keys (
  id           text primary key check (id ~ '^[A-Za-z0-9]{16}$'),
  tenant_id    text not null references tenants (id) on delete restrict,
  secret_hash  text not null check (secret_hash ~ '^[0-9a-f]{64}$'),
  -- jsonb, not text[]: list parameters travel the same way through both database adapters.
  roles        jsonb not null check (
                 jsonb_typeof(roles) = 'array' and jsonb_array_length(roles) > 0
                 and roles <@ '["admin", "issuer", "status", "keys", "auditor"]'::jsonb),
  label        text not null default '' check (length(label) <= 200),
  created_at   timestamptz not null,
  revoked_at   timestamptz
);
create index api_keys_tenant on api_keys (tenant_id);

create table audit_events (
  id          bigint generated always as identity primary key,
  tenant_id   text not null references tenants (id) on delete restrict,
  at          timestamptz not null,
  actor       text not null,
  action      text not null,
  target      text not null default '',
  detail      jsonb not null default '{}'::jsonb
);
create index audit_events_tenant_at on audit_events (tenant_id, at);

-- Row-level security: the second wall behind every query's own tenant filter. FORCE makes it
-- bind the table owner too, so only a superuser (never the service's role) walks past it.
alter table tenants enable row level security;
alter table tenants force row level security;
create policy tenant_isolation on tenants
  using (id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on')
  with check (id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on');

alter table signing_keys enable row level security;
alter table signing_keys force row level security;
create policy tenant_isolation on signing_keys
  using (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on')
  with check (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on');

alter table api_keys enable row level security;
alter table api_keys force row level security;
create policy tenant_isolation on api_keys
  using (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on')
  with check (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on');

alter table audit_events enable row level security;
alter table audit_events force row level security;
create policy tenant_isolation on audit_events
  using (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on')
  with check (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on');
