-- launchproof schema, version 15: evidence freshness (issue 14, docs/webhooks.md "evidence.expiring").
--
-- The evidence whose expiry bounds an attestation, indexed when it is issued: one row for each
-- (attestation, control, evidence uri) of a passing time-bound control that states an expiry.
-- Written in the issuance's own transaction from the assessment it just evaluated, so the
-- reminder sweep reads a narrow, indexed table instead of opening every stored assessment's JSON
-- on every run (thousands of controls each, for attestations of which a handful are near an
-- expiry), and never has to know how a result or a profile is written.
--
-- `reminded_days` is the most urgent reminder already placed for it (30, then 7, then 1 days
-- before): the sweep places a reminder and raises it in one transaction, under the row's lock,
-- so each (attestation, evidence, threshold) is placed once, however many sweeps run at once.
create table evidence_expiries (
  tenant_id       text not null references tenants (id),
  attestation_id  uuid not null,
  control         text not null,
  evidence_uri    text not null,
  expires_at      timestamptz not null,
  reminded_days   integer check (reminded_days in (30, 7, 1)),
  primary key (tenant_id, attestation_id, control, evidence_uri),
  foreign key (tenant_id, attestation_id) references attestations (tenant_id, id) on delete restrict
);
-- The sweep's probe: expiries within the next 30 days that still owe their last reminder.
create index evidence_expiries_due on evidence_expiries (expires_at) where reminded_days is distinct from 1;

alter table evidence_expiries enable row level security;
alter table evidence_expiries force row level security;
create policy tenant_isolation on evidence_expiries
  using (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on')
  with check (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on');

-- Rows are written at issuance and only ever move their reminder forward.
revoke update, delete, truncate on evidence_expiries from launchproof_tenant;
grant select, insert on evidence_expiries to launchproof_tenant;
grant update (reminded_days) on evidence_expiries to launchproof_tenant;
