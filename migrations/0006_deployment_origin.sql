-- The deployment's own facts, in one row: which database this is, and the origin its identifiers
-- are built from. Every did:web, issuer URL and status-list URL a credential carries is derived
-- from that origin, so a process configured with another one must not sign (issue 11, defect 3).
-- origin stays null until the first `init` or server start records it: databases created before
-- this migration get the origin of the first process that serves them after the upgrade.
create table deployment (
  singleton           boolean primary key default true check (singleton),
  -- Names files that belong to this database (the bootstrap admin key), never a secret.
  database_id         uuid not null default gen_random_uuid(),
  origin              text check (origin ~ '^https?://[^/?#]+$'),
  origin_recorded_at  timestamptz,
  check ((origin is null) = (origin_recorded_at is null))
);
insert into deployment default values;
