-- launchproof schema, version 13: signed webhooks fed by a durable outbox (docs/webhooks.md).
--
-- The outbox is filled by the tenant log's sequencer, in the transaction that sequences the log
-- entries the events come from: each entry was committed with its change, so the event is as
-- durable as the change, and the sequencer's lock on the log head gives every event of a tenant
-- its place in one order, without a gap, which a dispatcher can follow with a cursor.

-- One event a subscriber may be told of. `id` is the message's webhook-id: the same on every
-- attempt, so a receiver deduplicates by it. `data` is the message's `data`, fixed when the event
-- is placed, so a replay sends the very bytes first sent.
create table outbox_events (
  tenant_id       text not null references tenants (id),
  id              uuid not null,
  position        bigint not null check (position >= 0),
  type            text not null,
  attestation_id  uuid,
  log_index       bigint,
  data            jsonb not null,
  at              timestamptz not null,
  primary key (tenant_id, id)
);
create unique index outbox_events_position on outbox_events (tenant_id, position);
-- An endpoint's next event: one probe per type it takes, however many events of other types follow its cursor.
create index outbox_events_type on outbox_events (tenant_id, type, position);

-- A tenant's endpoint. The signing secret is sealed under the key-encryption key like the
-- private keys (bound to a `webhook:` name); during a rotation the previous secret signs beside
-- the new one until `previous_until`. `after_position` is the cursor: every event up to it has
-- been delivered or was not of a type the endpoint takes. The event after it is retried (in
-- order: nothing later goes first) at `next_attempt_at`; `failing_since` is its first failure,
-- and an endpoint failing for 3 days is disabled. A dispatcher holds the endpoint while it
-- delivers (`lease_until`), so two never send at once; a lease left by a killed process expires.
-- Only the holder of the lease's token (`lease_id`) records an attempt: a delete or a replay
-- takes the token away, and the lease runs out before anyone sends again.
create table webhooks (
  tenant_id         text not null references tenants (id),
  id                uuid not null,
  url               text not null check (length(url) <= 2048),
  event_types       jsonb not null,
  secret_sealed     text not null,
  kek_id            text not null,
  previous_sealed   text,
  previous_kek_id   text,
  previous_until    timestamptz,
  state             text not null default 'active' check (state in ('active', 'disabled', 'deleted')),
  disabled_at       timestamptz,
  disabled_reason   text,
  after_position    bigint not null check (after_position >= -1),
  attempts          integer not null default 0,
  failing_since     timestamptz,
  next_attempt_at   timestamptz,
  lease_until       timestamptz,
  lease_id          uuid,
  created_at        timestamptz not null,
  created_by        text not null,
  primary key (tenant_id, id)
);
create index webhooks_live on webhooks (tenant_id) where state = 'active';

-- Every attempt, as the tenant reads it: when, how it ended, the status and latency, and at most
-- a short excerpt of what the endpoint answered (never its whole body).
create table webhook_deliveries (
  tenant_id    text not null references tenants (id),
  webhook_id   uuid not null,
  event_id     uuid not null,
  attempt      integer not null check (attempt >= 1),
  at           timestamptz not null,
  outcome      text not null check (outcome in ('delivered', 'failed')),
  status       integer,
  latency_ms   integer not null check (latency_ms >= 0),
  error        text,
  excerpt      text check (length(excerpt) <= 512),
  primary key (tenant_id, webhook_id, event_id, attempt),
  foreign key (tenant_id, webhook_id) references webhooks (tenant_id, id),
  foreign key (tenant_id, event_id) references outbox_events (tenant_id, id)
);
create index webhook_deliveries_recent on webhook_deliveries (tenant_id, webhook_id, at desc);

alter table outbox_events enable row level security;
alter table outbox_events force row level security;
create policy tenant_isolation on outbox_events
  using (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on')
  with check (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on');

alter table webhooks enable row level security;
alter table webhooks force row level security;
create policy tenant_isolation on webhooks
  using (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on')
  with check (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on');

alter table webhook_deliveries enable row level security;
alter table webhook_deliveries force row level security;
create policy tenant_isolation on webhook_deliveries
  using (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on')
  with check (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.all_tenants', true) = 'on');

-- Events are never changed or removed by the service: a replay sends them again as they were.
revoke update, delete, truncate on outbox_events, webhook_deliveries from launchproof_tenant;
grant select, insert on outbox_events, webhook_deliveries to launchproof_tenant;
revoke delete, truncate on webhooks from launchproof_tenant;
grant select, insert, update on webhooks to launchproof_tenant;
