-- launchproof schema, version 3: status lists. Every credential holds one slot of one of its
-- tenant's lists; the slot's status is published as an IETF Token Status List (2 bits) and as
-- two W3C Bitstring Status Lists (revocation, suspension) over the same indices.

-- A tenant's lists. `id` is public and random, so list URLs say nothing about how many lists
-- (and so how many credentials) a tenant has; `seq` orders them and makes opening the next
-- one race-free: every issuer that finds list n full inserts n + 1, and one insert wins.
-- `version` counts status changes: a publication records the version it covers.
create table status_lists (
  tenant_id   text not null references tenants (id) on delete restrict,
  id          text not null check (id ~ '^[A-Za-z0-9_-]{22}$'),
  seq         integer not null check (seq >= 1),
  size        integer not null check (size >= 131072 and size % 8 = 0),
  created_at  timestamptz not null,
  full_at     timestamptz,
  version     bigint not null default 0,
  primary key (tenant_id, id),
  unique (tenant_id, seq)
);

-- One row per allocated slot: the primary key is what makes a slot impossible to hand out
-- twice, and there is no counter row for concurrent issuers to queue on.
create table status_slots (
  tenant_id     text not null,
  list_id       text not null,
  idx           integer not null check (idx >= 0),
  status        text not null default 'valid' check (status in ('valid', 'revoked', 'suspended')),
  allocated_at  timestamptz not null,
  changed_at    timestamptz,
  primary key (tenant_id, list_id, idx),
  foreign key (tenant_id, list_id) references status_lists (tenant_id, id)
);
-- Publishing reads only the entries that set a bit.
create index status_slots_set on status_slots (tenant_id, list_id) where status <> 'valid';

-- Credentials issued before this version have no slot, hence nullable.
alter table credentials add column status_list_id text;
alter table credentials add column status_index integer;
alter table credentials add constraint credentials_status_slot
  foreign key (tenant_id, status_list_id, status_index) references status_slots (tenant_id, list_id, idx);
alter table credentials add constraint credentials_status_slot_once unique (tenant_id, status_list_id, status_index);
alter table credentials add constraint credentials_status_slot_whole
  check ((status_list_id is null) = (status_index is null));
create index credentials_tenant_kid on credentials (tenant_id, kid);
create index credentials_tenant_subject_id on credentials (tenant_id, subject_id);

-- Who changed a credential's status, when and why: never updated, never deleted.
create table status_changes (
  id             uuid primary key,
  tenant_id      text not null references tenants (id) on delete restrict,
  credential_id  uuid not null references credentials (id) on delete restrict,
  from_status    text not null check (from_status in ('valid', 'revoked', 'suspended')),
  to_status      text not null check (to_status in ('valid', 'revoked', 'suspended')),
  reason         text not null check (length(reason) between 1 and 500),
  changed_at     timestamptz not null,
  changed_by     text not null,
  -- Orders changes made within one clock tick (a sequence, so writers never queue on it).
  seq            bigint generated always as identity
);
create index status_changes_credential on status_changes (tenant_id, credential_id, seq);

-- The latest signed copy of each list, in all three forms, served as stored: requests never sign.
create table status_publications (
  tenant_id   text not null,
  list_id     text not null,
  version     bigint not null,
  kid         text not null,
  issued_at   timestamptz not null,
  expires_at  timestamptz not null check (expires_at > issued_at),
  token       text not null,
  revocation  text not null,
  suspension  text not null,
  primary key (tenant_id, list_id),
  foreign key (tenant_id, list_id) references status_lists (tenant_id, id)
);

alter table status_lists enable row level security;
alter table status_lists force row level security;
create policy tenant_isolation on status_lists
  using (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on')
  with check (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on');

alter table status_slots enable row level security;
alter table status_slots force row level security;
create policy tenant_isolation on status_slots
  using (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on')
  with check (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on');

alter table status_changes enable row level security;
alter table status_changes force row level security;
create policy tenant_isolation on status_changes
  using (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on')
  with check (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on');

alter table status_publications enable row level security;
alter table status_publications force row level security;
create policy tenant_isolation on status_publications
  using (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on')
  with check (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on');
