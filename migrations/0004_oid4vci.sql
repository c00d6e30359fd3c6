-- launchproof schema, version 4: OpenID for Verifiable Credential Issuance 1.0, pre-authorized
-- code flow. Every secret a wallet holds (pre-authorized code, tx_code, access token, c_nonce) is
-- stored only as its SHA-256: a copy of the database hands out nothing that can be redeemed.

-- One offer of one stored assessment. `id` names it in the audit log; the credential_offer_uri
-- names it by a secret reference instead (`ref_hash`), from which the pre-authorized code is
-- derived, so serving the offer by reference needs no stored code. `offer` is the offer object
-- without its code.
-- `attempts` counts wrong tx_codes, the code dies at the limit; `used_at` makes it single use.
-- `holder_thumbprint` is the RFC 7638 thumbprint of the key the offer's credentials are bound
-- to, fixed by its first credential; `issued_formats` lists what it has issued, once each.
create table oid4vci_offers (
  tenant_id          text not null references tenants (id) on delete restrict,
  id                 text not null check (id ~ '^[A-Za-z0-9_-]{22}$'),
  ref_hash           text not null,
  code_hash          text not null,
  tx_code_hash       text,
  tx_code_length     integer check (tx_code_length between 4 and 12),
  tx_code_input_mode text check (tx_code_input_mode in ('numeric', 'text')),
  attempts           integer not null default 0 check (attempts >= 0),
  assessment_id      uuid not null references assessments (id) on delete restrict,
  formats            jsonb not null check (jsonb_typeof(formats) = 'array'),
  offer              jsonb not null,
  created_at         timestamptz not null,
  created_by         text not null,
  expires_at         timestamptz not null check (expires_at > created_at),
  used_at            timestamptz,
  holder_thumbprint  text,
  issued_formats     jsonb not null default '[]' check (jsonb_typeof(issued_formats) = 'array'),
  primary key (tenant_id, id),
  unique (tenant_id, code_hash),
  unique (tenant_id, ref_hash),
  check ((tx_code_hash is null) = (tx_code_length is null))
);

create table oid4vci_access_tokens (
  tenant_id   text not null,
  token_hash  text not null,
  offer_id    text not null,
  created_at  timestamptz not null,
  expires_at  timestamptz not null check (expires_at > created_at),
  primary key (tenant_id, token_hash),
  foreign key (tenant_id, offer_id) references oid4vci_offers (tenant_id, id)
);

-- c_nonces from the nonce endpoint: single use, short-lived.
create table oid4vci_nonces (
  tenant_id   text not null references tenants (id) on delete restrict,
  nonce_hash  text not null,
  created_at  timestamptz not null,
  expires_at  timestamptz not null check (expires_at > created_at),
  used_at     timestamptz,
  primary key (tenant_id, nonce_hash)
);
create index oid4vci_nonces_expiry on oid4vci_nonces (tenant_id, expires_at);

-- A holder key belongs to the first offer that bound a credential to it: the primary key is
-- what refuses the same key to a second offer, even when two wallets race.
create table oid4vci_holder_keys (
  tenant_id   text not null,
  thumbprint  text not null check (thumbprint ~ '^[A-Za-z0-9_-]{43}$'),
  offer_id    text not null,
  bound_at    timestamptz not null,
  primary key (tenant_id, thumbprint),
  foreign key (tenant_id, offer_id) references oid4vci_offers (tenant_id, id)
);

alter table oid4vci_offers enable row level security;
alter table oid4vci_offers force row level security;
create policy tenant_isolation on oid4vci_offers
  using (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on')
  with check (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on');

alter table oid4vci_access_tokens enable row level security;
alter table oid4vci_access_tokens force row level security;
create policy tenant_isolation on oid4vci_access_tokens
  using (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on')
  with check (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on');

alter table oid4vci_nonces enable row level security;
alter table oid4vci_nonces force row level security;
create policy tenant_isolation on oid4vci_nonces
  using (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on')
  with check (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on');

alter table oid4vci_holder_keys enable row level security;
alter table oid4vci_holder_keys force row level security;
create policy tenant_isolation on oid4vci_holder_keys
  using (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on')
  with check (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on');
