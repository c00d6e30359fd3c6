import type { Database } from '../store/port.ts';
import { acrossTenants } from '../store/tenant-scope.ts';

/** The gauges read from the store at scrape time, across tenants (no tenant label: see port.ts). */
export interface OperationalGauges {
  /** Keys that may still sign but are sealed under a KEK this process does not hold: a wrong or lost KEK. */
  readonly keysSealedUnderOtherKek: number;
  /** Tenants with no key able to sign right now: their issuance and status publication fail. */
  readonly tenantsWithoutActiveKey: number;
  /** Seconds the oldest signing key has been signing; 0 when no tenant has one. */
  readonly oldestActiveKeyAgeSeconds: number;
  /** Seconds until the first signing key reaches its rotation period (negative: overdue); null without keys. */
  readonly nextRotationDueSeconds: number | null;
  /** Status lists whose published copy does not yet cover every change. */
  readonly statusListsBehind: number;
  /** Seconds since the oldest status change no published copy covers yet; 0 when all are covered. */
  readonly statusPublicationLagSeconds: number;
}

interface Row {
  foreign_kek: string | number;
  without_active: string | number;
  oldest_age: string | number | null;
  due_in: string | number | null;
  behind: string | number;
  lag: string | number | null;
}

/*
 * One statement, so a scrape costs one round trip whatever the number of tenants. The lag of a
 * list that is behind is dated from its oldest change after the published copy was signed; when
 * none is newer (a change committed while the copy was being signed), from the copy itself.
 * Accepted KEK ids travel as jsonb: the port passes no SQL arrays.
 */
const SQL = `
with active as (
  select k.tenant_id, k.activated_at, (t.key_policy->>'rotationPeriodDays')::int as period_days
    from signing_keys k join tenants t on t.id = k.tenant_id
   where k.activated_at <= $1 and (k.retired_at is null or k.retired_at > $1) and (k.revoked_at is null or k.revoked_at > $1)
), behind as (
  select coalesce(
           (select min(s.changed_at) from status_slots s
             where s.tenant_id = l.tenant_id and s.list_id = l.id and s.changed_at is not null
               and (p.issued_at is null or s.changed_at > p.issued_at)),
           p.issued_at) as since
    from status_lists l
    left join status_publications p on p.tenant_id = l.tenant_id and p.list_id = l.id
   where l.version > coalesce(p.version, 0)
)
select
  (select count(*) from signing_keys
    where retired_at is null and revoked_at is null
      and kek_id not in (select jsonb_array_elements_text($2::jsonb))) as foreign_kek,
  (select count(*) from tenants t where not exists (select 1 from active a where a.tenant_id = t.id)) as without_active,
  (select extract(epoch from ($1::timestamptz - min(activated_at)))::float8 from active) as oldest_age,
  (select extract(epoch from (min(activated_at + make_interval(days => period_days)) - $1::timestamptz))::float8 from active) as due_in,
  (select count(*) from behind) as behind,
  (select extract(epoch from ($1::timestamptz - min(since)))::float8 from behind) as lag`;

export async function readOperationalGauges(db: Database, acceptedKekIds: readonly string[], now: Date): Promise<OperationalGauges> {
  const [r] = await acrossTenants(db, (tx) => tx.query<Row>(SQL, [now, [...acceptedKekIds]]));
  const n = (v: string | number | null | undefined) => (v === null || v === undefined ? null : Number(v));
  return {
    keysSealedUnderOtherKek: n(r!.foreign_kek) ?? 0,
    tenantsWithoutActiveKey: n(r!.without_active) ?? 0,
    oldestActiveKeyAgeSeconds: Math.max(0, n(r!.oldest_age) ?? 0),
    nextRotationDueSeconds: n(r!.due_in),
    statusListsBehind: n(r!.behind) ?? 0,
    statusPublicationLagSeconds: Math.max(0, n(r!.lag) ?? 0),
  };
}
