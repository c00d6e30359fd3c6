-- launchproof schema, version 14: buyers told when a shared attestation changes (docs/webhooks.md, Buyers).
--
-- A buyer holding a share link may subscribe an endpoint to that one attestation, or poll the
-- share's change feed. Both are fed by notices: outbox events about one attestation, placed
-- while it has an open share, each carrying a JWS signed with the tenant's signing key, so a
-- buyer checks it against the tenant's published keys rather than trusting the transport.

-- The notice's JWS (compact), signed once when the event is placed: the feed and every delivery
-- attempt carry the same bytes. Null on tenant events, and on a notice placed while the tenant
-- had no key able to sign (the change still reaches the buyer, marked unsigned).
alter table outbox_events add column notice text;
-- A subscription's next notice, and a share's feed: the notices of one attestation in order.
create index outbox_events_notices on outbox_events (tenant_id, attestation_id, position) where type like 'notice.%';

-- A buyer's subscription is an endpoint like a tenant's (the same cursor, lease, retries and
-- delivery log), bound to one attestation and to the share it was made from. `party` is the name
-- the buyer chose to give the tenant, if any: the tenant sees how many rely on an attestation,
-- and who only where they said.
alter table webhooks
  add column audience text not null default 'tenant' check (audience in ('tenant', 'buyer')),
  add column attestation_id uuid,
  add column share_id uuid,
  add column party text check (length(party) between 1 and 200),
  add constraint webhooks_buyer_scope check ((audience = 'buyer') = (attestation_id is not null and share_id is not null)),
  add constraint webhooks_attestation foreign key (tenant_id, attestation_id) references attestations (tenant_id, id);
create index webhooks_relying on webhooks (tenant_id, attestation_id) where audience = 'buyer' and state <> 'deleted';
create index webhooks_share on webhooks (share_id, created_at) where audience = 'buyer';
-- Whether a tenant has endpoints of its own (asked on every sequencer run and offer redeemed),
-- answered without walking its buyers' subscriptions.
create index webhooks_tenant_endpoints on webhooks (tenant_id) where audience = 'tenant' and state <> 'deleted';

-- Notices that a shared attestation nears the end of its validity (30, 7 and 1 days before), one
-- row for each placed: the row's key makes each (attestation, threshold) placed once, however
-- many sweeps run at once, in the transaction that places it.
create table expiry_notices (
  tenant_id       text not null references tenants (id),
  attestation_id  uuid not null,
  days            integer not null check (days in (30, 7, 1)),
  placed_at       timestamptz not null,
  primary key (tenant_id, attestation_id, days),
  foreign key (tenant_id, attestation_id) references attestations (tenant_id, id)
);

alter table expiry_notices enable row level security;
alter table expiry_notices force row level security;
create policy tenant_isolation on expiry_notices
  using (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on')
  with check (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on');
revoke update, delete, truncate on expiry_notices from launchproof_tenant;
grant select, insert on expiry_notices to launchproof_tenant;
