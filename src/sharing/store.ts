import type { Actor } from '../audit/events.ts';
import { liveAttestation } from '../evidence/store.ts';
import type { Queryable } from '../store/port.ts';
import type { CredentialStatus } from '../status/values.ts';

/*
 * The sharing domain's SQL, all of it: share links, and the two reads that tell a share's viewer
 * (the badge) or a credential's holder (the notice) where an attestation stands. Callers own the
 * transaction and pass it in.
 */

// ---- share links ----------------------------------------------------------------------------

export interface NewShareRow {
  readonly id: string;
  readonly tenantId: string;
  readonly attestationId: string;
  readonly credentialId: string;
  readonly tokenHash: string;
  readonly label: string | null;
  readonly reveal: readonly string[];
  readonly presentation: string;
  readonly createdAt: Date;
  readonly createdBy: Actor;
  readonly expiresAt: Date;
}

export async function insertShare(tx: Queryable, s: NewShareRow): Promise<void> {
  await tx.query(
    `insert into shares (id, tenant_id, attestation_id, credential_id, token_hash, label, reveal, presentation, created_at, created_by, expires_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [
      s.id,
      s.tenantId,
      s.attestationId,
      s.credentialId,
      s.tokenHash,
      s.label,
      [...s.reveal],
      s.presentation,
      s.createdAt,
      s.createdBy,
      s.expiresAt,
    ],
  );
}

/** A share link as stored, with the format of the credential it presents. */
export interface StoredShare {
  readonly id: string;
  readonly attestationId: string;
  readonly label: string | null;
  readonly reveal: readonly string[];
  readonly format: string;
  readonly createdAt: Date;
  readonly createdBy: string;
  readonly expiresAt: Date;
  readonly revokedAt: Date | null;
  readonly viewCount: number;
  readonly lastViewedAt: Date | null;
}

interface ShareRow {
  id: string;
  attestation_id: string;
  label: string | null;
  reveal: string[];
  format: string;
  created_at: Date;
  created_by: string;
  expires_at: Date;
  revoked_at: Date | null;
  view_count: string | number;
  last_viewed_at: Date | null;
}

const toStoredShare = (r: ShareRow): StoredShare => ({
  id: r.id,
  attestationId: r.attestation_id,
  label: r.label,
  reveal: r.reveal,
  format: r.format,
  createdAt: r.created_at,
  createdBy: r.created_by,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
  viewCount: Number(r.view_count),
  lastViewedAt: r.last_viewed_at,
});

const SHARE_COLUMNS = `s.id, s.attestation_id, s.label, s.reveal, c.format, s.created_at, s.created_by, s.expires_at, s.revoked_at,
  s.view_count, s.last_viewed_at`;

/** Every share link of an attestation, newest first. */
export async function sharesOfAttestation(tx: Queryable, tenantId: string, attestationId: string): Promise<StoredShare[]> {
  const rows = await tx.query<ShareRow>(
    `select ${SHARE_COLUMNS} from shares s join credentials c on c.tenant_id = s.tenant_id and c.id = s.credential_id
      where s.tenant_id = $1 and s.attestation_id = $2 order by s.created_at desc, s.id`,
    [tenantId, attestationId],
  );
  return rows.map(toStoredShare);
}

export async function shareOfAttestation(
  tx: Queryable,
  tenantId: string,
  attestationId: string,
  shareId: string,
): Promise<StoredShare | undefined> {
  const [row] = await tx.query<ShareRow>(
    `select ${SHARE_COLUMNS} from shares s join credentials c on c.tenant_id = s.tenant_id and c.id = s.credential_id
      where s.tenant_id = $1 and s.attestation_id = $2 and s.id = $3`,
    [tenantId, attestationId, shareId],
  );
  return row && toStoredShare(row);
}

/** Withdraws a share link still open; true when this call withdrew it. */
export async function markShareRevoked(
  tx: Queryable,
  tenantId: string,
  attestationId: string,
  shareId: string,
  at: Date,
  by: Actor,
): Promise<boolean> {
  const updated = await tx.query<{ id: string }>(
    `update shares set revoked_at = $4, revoked_by = $5
      where tenant_id = $1 and attestation_id = $2 and id = $3 and revoked_at is null returning id`,
    [tenantId, attestationId, shareId, at, by],
  );
  return updated.length === 1;
}

/** The share a token's hash names, in any tenant: the transaction must see every tenant (acrossTenants). */
export async function findShareByTokenHash(tx: Queryable, tokenHash: string): Promise<{ id: string; tenantId: string } | undefined> {
  const [row] = await tx.query<{ id: string; tenant_id: string }>('select id, tenant_id from shares where token_hash = $1', [tokenHash]);
  return row && { id: row.id, tenantId: row.tenant_id };
}

export interface ShareToOpen {
  readonly attestationId: string;
  readonly label: string | null;
  readonly presentation: string;
  readonly expiresAt: Date;
  readonly revokedAt: Date | null;
  readonly tenantName: string;
}

/** What a visitor of a share link is shown, with the name of the tenant that shares it. */
export async function shareToOpen(tx: Queryable, tenantId: string, shareId: string): Promise<ShareToOpen | undefined> {
  const [row] = await tx.query<{
    attestation_id: string;
    label: string | null;
    presentation: string;
    expires_at: Date;
    revoked_at: Date | null;
    tenant_name: string;
  }>(
    `select s.attestation_id, s.label, s.presentation, s.expires_at, s.revoked_at, t.name as tenant_name
       from shares s join tenants t on t.id = s.tenant_id
      where s.tenant_id = $1 and s.id = $2`,
    [tenantId, shareId],
  );
  return (
    row && {
      attestationId: row.attestation_id,
      label: row.label,
      presentation: row.presentation,
      expiresAt: row.expires_at,
      revokedAt: row.revoked_at,
      tenantName: row.tenant_name,
    }
  );
}

export async function countShareView(tx: Queryable, tenantId: string, shareId: string, at: Date): Promise<void> {
  await tx.query('update shares set view_count = view_count + 1, last_viewed_at = $3 where tenant_id = $1 and id = $2', [
    tenantId,
    shareId,
    at,
  ]);
}

// ---- where an attestation stands ------------------------------------------------------------

export interface BadgeFacts {
  readonly stage: string | null;
  readonly subjectName: string;
  readonly validUntil: Date;
  /** The status of each of the attestation's slots; empty when it has none. */
  readonly statuses: CredentialStatus[];
  readonly superseded: boolean;
}

/** What a badge is drawn from, in one statement. */
export async function badgeFacts(tx: Queryable, tenantId: string, attestationId: string): Promise<BadgeFacts | undefined> {
  const [row] = await tx.query<{
    stage: string | null;
    subject_name: string;
    valid_until: Date;
    statuses: CredentialStatus[] | null;
    superseded: boolean;
  }>(
    `select s.verdict->>'stage' as stage, a.subject_name, a.valid_until,
            (select jsonb_agg(t.status) from status_slots t join attestation_slots h
              on h.tenant_id = t.tenant_id and h.list_id = t.list_id and h.idx = t.idx
            where h.tenant_id = a.tenant_id and h.attestation_id = a.id) as statuses,
            exists (select 1 from attestations n where n.tenant_id = a.tenant_id and n.supersedes = a.id) as superseded
       from attestations a join assessments s on s.tenant_id = a.tenant_id and s.id = a.assessment_id
      where a.tenant_id = $1 and a.id = $2`,
    [tenantId, attestationId],
  );
  return (
    row && {
      stage: row.stage,
      subjectName: row.subject_name,
      validUntil: row.valid_until,
      statuses: row.statuses ?? [],
      superseded: row.superseded,
    }
  );
}

export interface NoticeFacts {
  readonly attestationId: string;
  /** The status of each of the attestation's slots; empty when it has none. */
  readonly statuses: CredentialStatus[];
  /** The attestation's last status change, if any. */
  readonly changedAt: Date | null;
  readonly publicReason: string | null;
  readonly lastTo: CredentialStatus | null;
  /** The attestation that replaced it, if any. */
  readonly successor: string | null;
  readonly successorIssuedAt: Date | null;
}

/** What the issuer publishes about the attestation a credential belongs to, in one statement. */
export async function noticeFacts(tx: Queryable, tenantId: string, credentialId: string): Promise<NoticeFacts | undefined> {
  const [row] = await tx.query<{
    attestation_id: string;
    statuses: CredentialStatus[] | null;
    changed_at: Date | null;
    public_reason: string | null;
    last_to: CredentialStatus | null;
    successor: string | null;
    successor_issued_at: Date | null;
  }>(
    `select a.id as attestation_id,
            (select jsonb_agg(s.status) from status_slots s join attestation_slots h
                on h.tenant_id = s.tenant_id and h.list_id = s.list_id and h.idx = s.idx
              where h.tenant_id = a.tenant_id and h.attestation_id = a.id) as statuses,
            last.changed_at, last.public_reason, last.to_status as last_to,
            next.id as successor, next.issued_at as successor_issued_at
       from credentials c
       join attestations a on a.tenant_id = c.tenant_id and a.id = c.attestation_id
       left join lateral (select changed_at, public_reason, to_status from status_changes h
                           where h.tenant_id = a.tenant_id and h.attestation_id = a.id order by seq desc limit 1) last on true
       left join attestations next on next.tenant_id = a.tenant_id and next.supersedes = a.id
      where c.tenant_id = $1 and c.id = $2`,
    [tenantId, credentialId],
  );
  return (
    row && {
      attestationId: row.attestation_id,
      statuses: row.statuses ?? [],
      changedAt: row.changed_at,
      publicReason: row.public_reason,
      lastTo: row.last_to,
      successor: row.successor,
      successorIssuedAt: row.successor_issued_at,
    }
  );
}

/** When a share link was open: from its making until it was withdrawn or expired, whichever came first. */
export interface ShareWindow {
  readonly attestationId: string;
  /** The key that signed the attestation. */
  readonly kid: string;
  readonly from: Date;
  readonly until: Date;
}

/**
 * The share links of `attestationIds`, and of the attestations signed by one of `kids`, with
 * when each was open: whether a change concerns a buyer depends on when it happened, not on
 * when the log's sequencer reaches it.
 */
export async function shareWindows(
  tx: Queryable,
  tenantId: string,
  of: { attestationIds: readonly string[]; kids: readonly string[] },
): Promise<ShareWindow[]> {
  const rows = await tx.query<{ attestation_id: string; kid: string; created_at: Date; until: Date }>(
    `select a.id as attestation_id, a.kid, s.created_at, least(s.revoked_at, s.expires_at) as until
       from shares s join attestations a on a.tenant_id = s.tenant_id and a.id = s.attestation_id
      where s.tenant_id = $1
        and (s.attestation_id in (select value::uuid from jsonb_array_elements_text($2::jsonb))
             or a.kid in (select value from jsonb_array_elements_text($3::jsonb)))`,
    [tenantId, of.attestationIds, of.kids],
  );
  return rows.map((r) => ({ attestationId: r.attestation_id, kid: r.kid, from: r.created_at, until: r.until }));
}

/** The most urgent expiry notice placed so far for the attestation aliased `a`. */
const NOTICED = '(select min(n.days) from expiry_notices n where n.tenant_id = a.tenant_id and n.attestation_id = a.id)';

/** An attestation a share link shows that ends within 30 days, and the most urgent notice of it placed so far. */
export interface ExpiringShared {
  readonly attestationId: string;
  readonly validUntil: Date;
  readonly noticedDays: 30 | 7 | 1 | null;
}

/**
 * Live attestations with a share link open at $1 whose validity ends closer than the next notice
 * owed (30 days, then 7 after the 30-day one, then 1): only those a sweep has something to place for.
 */
const EXPIRING_SHARED = `from shares s join attestations a on a.tenant_id = s.tenant_id and a.id = s.attestation_id
  where s.revoked_at is null and s.created_at <= $1 and s.expires_at > $1
    and ${liveAttestation('$1::timestamptz')}
    and a.valid_until <= $1::timestamptz + coalesce(case ${NOTICED} when 30 then 7 when 7 then 1 when 1 then 0 end, 30) * interval '1 day'`;

export async function expiringSharedAttestations(tx: Queryable, tenantId: string, now: Date): Promise<ExpiringShared[]> {
  const rows = await tx.query<{ id: string; valid_until: Date; noticed: number | null }>(
    `select distinct a.id, a.valid_until, ${NOTICED} as noticed ${EXPIRING_SHARED} and s.tenant_id = $2`,
    [now, tenantId],
  );
  return rows.map((r) => ({ attestationId: r.id, validUntil: r.valid_until, noticedDays: (r.noticed as 30 | 7 | 1 | null) ?? null }));
}

/** Tenants with a shared attestation that may owe an expiry notice (read across tenants). */
export async function tenantsWithExpiringShares(tx: Queryable, now: Date): Promise<string[]> {
  const rows = await tx.query<{ tenant_id: string }>(`select distinct s.tenant_id ${EXPIRING_SHARED}`, [now]);
  return rows.map((r) => r.tenant_id);
}

/** Records the notice of `days` as placed; false when another sweep placed it first. */
export async function recordExpiryNotice(tx: Queryable, tenantId: string, attestationId: string, days: number, at: Date): Promise<boolean> {
  const rows = await tx.query(
    `insert into expiry_notices (tenant_id, attestation_id, days, placed_at) values ($1, $2, $3, $4)
     on conflict do nothing returning days`,
    [tenantId, attestationId, days, at],
  );
  return rows.length > 0;
}
