-- launchproof schema, version 2: tenant readiness profiles, assessments with their verdicts,
-- issued credential records, and idempotency keys for issuance.

-- A tenant's own profiles. Built-in profiles live in wellknown/profiles/ and never here.
-- A version is immutable from the moment it exists; `used_at` records its first use to issue.
create table tenant_profiles (
  tenant_id   text not null references tenants (id) on delete restrict,
  profile_id  text not null check (profile_id ~ '^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$'),
  version     text not null check (version ~ '^\d+\.\d+\.\d+$'),
  profile     jsonb not null,
  digest      text not null,
  created_at  timestamptz not null,
  created_by  text not null,
  used_at     timestamptz,
  primary key (tenant_id, profile_id, version)
);

create table assessments (
  id               uuid primary key,
  tenant_id        text not null references tenants (id) on delete restrict,
  profile_id       text not null,
  profile_version  text not null,
  profile_digest   text not null,
  subject          jsonb not null,
  body             jsonb not null,
  verdict          jsonb not null,
  created_at       timestamptz not null,
  created_by       text not null
);
create index assessments_tenant_created on assessments (tenant_id, created_at);

-- One row per credential issued. The compact serialisation is kept so the issuer can hand the
-- same credential out again; it holds nothing the holder does not also hold.
create table credentials (
  id               uuid primary key,
  tenant_id        text not null references tenants (id) on delete restrict,
  assessment_id    uuid not null references assessments (id) on delete restrict,
  format           text not null check (format in ('vc+jwt', 'jwt_vc_json', 'dc+sd-jwt')),
  kid              text not null,
  profile_id       text not null,
  profile_version  text not null,
  subject_name     text not null,
  subject_id       text,
  issued_at        timestamptz not null,
  valid_from       timestamptz not null,
  valid_until      timestamptz not null check (valid_until > valid_from),
  holder           jsonb,
  credential       text not null,
  issued_by        text not null,
  foreign key (tenant_id, kid) references signing_keys (tenant_id, kid)
);
create index credentials_tenant_issued on credentials (tenant_id, issued_at, id);
create index credentials_tenant_subject on credentials (tenant_id, subject_name);

-- Idempotency-Key: the first request's fingerprint and response, replayed for the same body.
create table idempotency_keys (
  tenant_id     text not null references tenants (id) on delete restrict,
  key           text not null check (length(key) between 1 and 255),
  operation     text not null,
  fingerprint   text not null,
  status        integer not null,
  response      jsonb not null,
  created_at    timestamptz not null,
  primary key (tenant_id, operation, key)
);

alter table tenant_profiles enable row level security;
alter table tenant_profiles force row level security;
create policy tenant_isolation on tenant_profiles
  using (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on')
  with check (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on');

alter table assessments enable row level security;
alter table assessments force row level security;
create policy tenant_isolation on assessments
  using (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on')
  with check (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on');

alter table credentials enable row level security;
alter table credentials force row level security;
create policy tenant_isolation on credentials
  using (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on')
  with check (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on');

alter table idempotency_keys enable row level security;
alter table idempotency_keys force row level security;
create policy tenant_isolation on idempotency_keys
  using (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on')
  with check (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on');
