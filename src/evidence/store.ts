import type { Queryable } from '../store/port.ts';
import type { ReminderDays } from './reminders.ts';

/*
 * The SQL of evidence freshness (migrations/0015_evidence_freshness.sql): the expiries an
 * issuance indexed, and the reminders placed for them.
 */

export interface EvidenceExpiry {
  readonly control: string;
  readonly uri: string;
  readonly expiresAt: Date;
}

/**
 * Indexes the expiries an attestation relies on, in its issuance's transaction (after the
 * statement that inserts the attestation: the rows point at it). The same uri given twice for a
 * control keeps its earliest expiry: one reminder for one piece of evidence.
 */
export async function insertEvidenceExpiries(
  tx: Queryable,
  tenantId: string,
  attestationId: string,
  expiries: readonly EvidenceExpiry[],
): Promise<void> {
  const earliest = new Map<string, EvidenceExpiry>();
  for (const e of expiries) {
    const key = JSON.stringify([e.control, e.uri]);
    const known = earliest.get(key);
    if (!known || e.expiresAt < known.expiresAt) earliest.set(key, e);
  }
  if (earliest.size === 0) return;
  await tx.query(
    `insert into evidence_expiries (tenant_id, attestation_id, control, evidence_uri, expires_at)
     select $1, $2, e.control, e.uri, e.expires_at
       from jsonb_to_recordset($3::jsonb) as e (control text, uri text, expires_at timestamptz)`,
    [
      tenantId,
      attestationId,
      [...earliest.values()].map((e) => ({ control: e.control, uri: e.uri, expires_at: e.expiresAt.toISOString() })),
    ],
  );
}

/**
 * SQL: the attestation aliased `a` is live at the instant `now` names: still valid, not revoked,
 * not superseded. A suspended one is live (it may be reinstated). Shared by the sweeps that tell
 * of time running out (these reminders, buyers' expiry notices), which owe nothing to one that is over.
 */
export const liveAttestation = (now: string) => `a.valid_until > ${now}
  and coalesce((select st.status from status_slots st
                 where st.tenant_id = a.tenant_id and st.list_id = a.status_list_id and st.idx = a.status_index), 'valid') <> 'revoked'
  and not exists (select 1 from attestations n where n.tenant_id = a.tenant_id and n.supersedes = a.id)`;

/**
 * What makes an expiry owe a reminder at $now: within 30 days and not yet expired, closer than the
 * next threshold after the last reminder placed, and of an attestation still live (not revoked,
 * not superseded, still valid). A suspended attestation still gets its reminders: it may be
 * reinstated, and its evidence will still have run out.
 */
const DUE = `
      e.expires_at > $1::timestamptz
  and e.expires_at <= $1::timestamptz + interval '30 days'
  and e.reminded_days is distinct from 1
  and e.expires_at <= $1::timestamptz + coalesce(case e.reminded_days when 30 then 7 when 7 then 1 end, 30) * interval '1 day'
  and ${liveAttestation('$1::timestamptz')}`;

const JOINS = `
  join attestations a on a.tenant_id = e.tenant_id and a.id = e.attestation_id`;

/** Tenants with a reminder due, read across tenants (the sweep's poll). */
export async function tenantsWithDueReminders(tx: Queryable, now: Date): Promise<string[]> {
  const rows = await tx.query<{ tenant_id: string }>(`select distinct e.tenant_id from evidence_expiries e ${JOINS} where ${DUE}`, [now]);
  return rows.map((r) => r.tenant_id);
}

export interface DueExpiry {
  readonly attestationId: string;
  readonly control: string;
  readonly uri: string;
  readonly expiresAt: Date;
  readonly remindedDays: ReminderDays | null;
}

/**
 * The tenant's expiries owing a reminder, locked to the end of the transaction that places it:
 * a second sweep skips them rather than waiting to place the same reminder again (and then finds
 * them reminded).
 */
export async function lockDueExpiries(tx: Queryable, tenantId: string, now: Date, limit: number): Promise<DueExpiry[]> {
  const rows = await tx.query<{
    attestation_id: string;
    control: string;
    evidence_uri: string;
    expires_at: Date;
    reminded_days: number | null;
  }>(
    `select e.attestation_id, e.control, e.evidence_uri, e.expires_at, e.reminded_days
       from evidence_expiries e ${JOINS}
      where e.tenant_id = $2 and ${DUE}
      order by e.expires_at, e.attestation_id, e.control, e.evidence_uri
      limit $3
      for update of e skip locked`,
    [now, tenantId, limit],
  );
  return rows.map((r) => ({
    attestationId: r.attestation_id,
    control: r.control,
    uri: r.evidence_uri,
    expiresAt: new Date(r.expires_at),
    remindedDays: r.reminded_days as ReminderDays | null,
  }));
}

/** Records the reminders placed, in the transaction that placed them. */
export async function markReminded(
  tx: Queryable,
  tenantId: string,
  placed: readonly { attestationId: string; control: string; uri: string; days: ReminderDays }[],
): Promise<void> {
  if (placed.length === 0) return;
  await tx.query(
    `update evidence_expiries e set reminded_days = p.days
       from jsonb_to_recordset($2::jsonb) as p (attestation_id uuid, control text, uri text, days integer)
      where e.tenant_id = $1 and e.attestation_id = p.attestation_id and e.control = p.control and e.evidence_uri = p.uri`,
    [tenantId, placed.map((p) => ({ attestation_id: p.attestationId, control: p.control, uri: p.uri, days: p.days }))],
  );
}
