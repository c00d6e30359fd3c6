-- launchproof schema, version 10: a transparency log per tenant (docs/transparency-log.md).
--
-- Every change a verifier should know of (an issuance, a status change, a key event, a profile
-- published) writes one entry here in the change's own transaction, unsequenced. A sequencer
-- gives committed entries their indexes afterwards, in short transactions of its own under the
-- tenant's head row, so issuances never queue on one counter and an index is never skipped:
-- only committed entries are sequenced, only by the holder of the head's lock, each run from
-- the head's size on.

-- One entry: its exact bytes (the RFC 8785 canonical JSON the leaf hash is taken of: UTF-8 text
-- is stored byte for byte), what it is about (to find an attestation's entries), and its index
-- once sequenced.
create table log_entries (
  tenant_id      text not null references tenants (id),
  entry_id       bigint generated always as identity,
  body           text not null check (octet_length(body) <= 65535),
  type           text not null,
  attestation_id uuid,
  at             timestamptz not null,
  idx            bigint check (idx >= 0)
) with (toast_tuple_target = 128);
-- The body out of line, uncompressed: the sequencer's update of idx then copies a pointer, not
-- the body (a row's few hundred bytes would otherwise be written twice for every entry).
alter table log_entries alter column body set storage external;
-- Few indexes, and those of sequenced entries only: every entry is written by a change (one index
-- entry, the pending one) and then given its index by the sequencer, an update that cannot be HOT
-- (idx is indexed) and so writes a new entry in every index that holds the row. No primary key:
-- entry_id is an identity, and the sequencer finds an entry by the pending index.
-- What the sequencer looks for and updates: small, as entries leave it within a second.
create index log_entries_pending on log_entries (tenant_id, entry_id) where idx is null;
-- No index taken twice: the sequencer's own invariant, held by the database as well.
create unique index log_entries_index on log_entries (tenant_id, idx) where idx is not null;
create index log_entries_attestation on log_entries (tenant_id, attestation_id) where attestation_id is not null and idx is not null;
create index log_entries_at on log_entries (tenant_id, at) where idx is not null;

-- The tenant log's head: the size sequenced so far, the right edge of its tree (the hashes of
-- each level's partial tile, level 0 first; their widths follow from the size), and the signed
-- checkpoint of that size. The origin is fixed when the log begins: a log's name never changes,
-- even if the deployment moves to another URL.
create table log_heads (
  tenant_id   text primary key references tenants (id),
  origin      text not null,
  size        bigint not null default 0 check (size >= 0),
  edge        bytea not null default ''::bytea,
  checkpoint  text,
  updated_at  timestamptz
);

-- Full tiles (256 hashes) are immutable once written: served as they are for ever.
create table log_tiles (
  tenant_id  text not null references tenants (id),
  level      smallint not null check (level >= 0),
  idx        bigint not null check (idx >= 0),
  hashes     bytea not null check (octet_length(hashes) = 8192),
  primary key (tenant_id, level, idx)
);

-- The log's Ed25519 key, sealed under the key-encryption key like the signing keys (bound to a
-- `log:` name, src/transparency/log-key.ts). One is current; a retired one stays published so
-- checkpoints it signed still open.
create table log_keys (
  tenant_id   text not null references tenants (id),
  kid         text not null,
  public_jwk  jsonb not null,
  sealed      text not null,
  kek_id      text not null,
  created_at  timestamptz not null,
  retired_at  timestamptz,
  primary key (tenant_id, kid)
);
create unique index log_keys_current on log_keys (tenant_id) where retired_at is null;

-- What a tenant's issuance entries say of the subject: its name, or only the SHA-256 of it.
alter table tenants add column log_subjects text not null default 'name' check (log_subjects in ('name', 'digest'));

-- The DID document and the trust bundle publish the log key.
create trigger publication_version_insert after insert on log_keys
  for each row execute function bump_publication_version('tenant_id');
create trigger publication_version_update after update on log_keys
  for each row execute function bump_publication_version('tenant_id');

-- Audit exports: asked for by an auditor, built off the request path, kept until they expire.
create table audit_exports (
  tenant_id     text not null references tenants (id),
  id            uuid not null,
  from_at       timestamptz not null,
  to_at         timestamptz not null,
  format        text not null check (format in ('json', 'csv', 'zip')),
  requested_by  text not null,
  requested_at  timestamptz not null,
  built_at      timestamptz,
  failure       text,
  media_type    text,
  package       bytea,
  expires_at    timestamptz not null,
  primary key (tenant_id, id),
  check (from_at <= to_at)
);
create index audit_exports_unbuilt on audit_exports (requested_at) where built_at is null and failure is null;

alter table log_entries enable row level security;
alter table log_entries force row level security;
create policy tenant_isolation on log_entries
  using (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on')
  with check (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on');

alter table log_heads enable row level security;
alter table log_heads force row level security;
create policy tenant_isolation on log_heads
  using (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on')
  with check (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on');

alter table log_tiles enable row level security;
alter table log_tiles force row level security;
create policy tenant_isolation on log_tiles
  using (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on')
  with check (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on');

alter table log_keys enable row level security;
alter table log_keys force row level security;
create policy tenant_isolation on log_keys
  using (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on')
  with check (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on');

alter table audit_exports enable row level security;
alter table audit_exports force row level security;
create policy tenant_isolation on audit_exports
  using (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on')
  with check (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on');

-- Stated, not left to the default privileges of migration 7: those bind only the role that ran it.
-- Entries are never changed but for their index, tiles never at all, and neither is deleted:
-- the log is append-only for the service's role, whatever the default privileges gave it.
revoke update, delete, truncate on log_entries, log_tiles from launchproof_tenant;
grant select, insert on log_entries to launchproof_tenant;
grant update (idx) on log_entries to launchproof_tenant;
grant select, insert, update on log_heads to launchproof_tenant;
grant select, insert on log_tiles to launchproof_tenant;
grant select, insert, update on log_keys to launchproof_tenant;
grant select, insert, update, delete on audit_exports to launchproof_tenant;
