-- launchproof schema, version 5: the attestation is the unit. One issuance is one attestation
-- with its own id; its credentials (one per format) are representations of it and share its one
-- status slot, so a single change reaches every format. An attestation may supersede an older
-- one of the same subject. Share links let a vendor show a buyer one attestation, revealing only
-- the claims it chose.

-- The backfill below must see every tenant's rows: row-level security binds the table owner too.
select set_config('app.all_tenants', 'on', true);

create table attestations (
  id               uuid primary key,
  tenant_id        text not null references tenants (id) on delete restrict,
  assessment_id    uuid not null references assessments (id) on delete restrict,
  profile_id       text not null,
  profile_version  text not null,
  subject_name     text not null,
  subject_id       text,
  kid              text not null,
  issued_at        timestamptz not null,
  valid_from       timestamptz not null,
  valid_until      timestamptz not null check (valid_until > valid_from),
  issued_by        text not null,
  -- The older attestation this one replaces, of the same tenant; each is replaced at most once,
  -- so lineage is a chain.
  supersedes       uuid,
  -- The slot every credential of the attestation points at. Null for attestations issued before
  -- this version, whose credentials keep a slot each and change together.
  status_list_id   text,
  status_index     integer,
  foreign key (tenant_id, status_list_id, status_index) references status_slots (tenant_id, list_id, idx),
  unique (tenant_id, status_list_id, status_index),
  unique (supersedes),
  -- What the tables below point at: a reference that also names the tenant cannot cross tenants.
  unique (tenant_id, id),
  foreign key (tenant_id, supersedes) references attestations (tenant_id, id) on delete restrict,
  check ((status_list_id is null) = (status_index is null)),
  check (supersedes is distinct from id)
);
create index attestations_tenant_issued on attestations (tenant_id, issued_at, id);
create index attestations_tenant_subject on attestations (tenant_id, subject_name);

-- Existing credentials: the formats of one issuance were written with the same assessment, instant
-- and issuer, so each such group becomes one attestation.
create temporary table attestation_backfill on commit drop as
  select gen_random_uuid() as id, tenant_id, assessment_id, issued_at, issued_by,
         min(profile_id) as profile_id, min(profile_version) as profile_version,
         min(subject_name) as subject_name, min(subject_id) as subject_id, min(kid) as kid,
         min(valid_from) as valid_from, max(valid_until) as valid_until
    from credentials
   group by tenant_id, assessment_id, issued_at, issued_by;

insert into attestations (id, tenant_id, assessment_id, profile_id, profile_version, subject_name, subject_id, kid,
                          issued_at, valid_from, valid_until, issued_by)
  select id, tenant_id, assessment_id, profile_id, profile_version, subject_name, subject_id, kid,
         issued_at, valid_from, valid_until, issued_by
    from attestation_backfill;

alter table credentials add column attestation_id uuid;
update credentials c set attestation_id = b.id
  from attestation_backfill b
 where b.tenant_id = c.tenant_id and b.assessment_id = c.assessment_id and b.issued_at = c.issued_at and b.issued_by = c.issued_by;
alter table credentials alter column attestation_id set not null;
alter table credentials add foreign key (tenant_id, attestation_id) references attestations (tenant_id, id) on delete restrict;
create index credentials_attestation on credentials (tenant_id, attestation_id);

-- The formats of one attestation now share a slot.
alter table credentials drop constraint credentials_status_slot_once;

-- History is kept per attestation. Rows written before this version name the credential they
-- changed; rows written since name only the attestation, whose every format they changed.
-- `public_reason` is what the tenant chose to tell relying parties; `reason` stays internal.
alter table status_changes add column attestation_id uuid;
update status_changes s set attestation_id = c.attestation_id from credentials c where c.id = s.credential_id;
alter table status_changes alter column attestation_id set not null;
alter table status_changes add foreign key (tenant_id, attestation_id) references attestations (tenant_id, id) on delete restrict;
alter table status_changes alter column credential_id drop not null;
alter table status_changes add column public_reason text check (length(public_reason) between 1 and 500);
create index status_changes_attestation on status_changes (tenant_id, attestation_id, seq);

-- Where each attestation's status is published: its one shared slot, or, for an attestation issued
-- before, the slots of its credentials. Invoker's rights, so row-level security still applies.
create view attestation_slots with (security_invoker = true) as
  select tenant_id, id as attestation_id, status_list_id as list_id, status_index as idx
    from attestations where status_list_id is not null
  union
  select tenant_id, attestation_id, status_list_id, status_index
    from credentials where status_list_id is not null;

-- A share link: the vendor's consent to show one attestation to whoever holds the link. The
-- token is stored only as its SHA-256; `presentation` is what the buyer verifies (an SD-JWT VC
-- holding only the disclosures in `reveal`, or a VC-JWT when the attestation has no SD-JWT VC).
create table shares (
  id              uuid primary key,
  tenant_id       text not null references tenants (id) on delete restrict,
  attestation_id  uuid not null,
  credential_id   uuid not null references credentials (id) on delete restrict,
  token_hash      text not null unique,
  label           text check (length(label) between 1 and 200),
  reveal          jsonb not null check (jsonb_typeof(reveal) = 'array'),
  presentation    text not null,
  created_at      timestamptz not null,
  created_by      text not null,
  expires_at      timestamptz not null check (expires_at > created_at),
  revoked_at      timestamptz,
  revoked_by      text,
  view_count      bigint not null default 0,
  last_viewed_at  timestamptz,
  foreign key (tenant_id, attestation_id) references attestations (tenant_id, id) on delete restrict
);
create index shares_attestation on shares (tenant_id, attestation_id, created_at);

alter table attestations enable row level security;
alter table attestations force row level security;
create policy tenant_isolation on attestations
  using (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on')
  with check (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on');

alter table shares enable row level security;
alter table shares force row level security;
create policy tenant_isolation on shares
  using (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on')
  with check (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on');
