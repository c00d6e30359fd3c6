import type { Queryable } from '../store/port.ts';
import { combinedStatus, type CredentialStatus } from '../status/values.ts';
import { isUuid } from '../util/uuid.ts';
import type { AttestationNotice } from '../verify/notices.ts';

/**
 * What the issuer publishes about the attestation a credential belongs to: its status, since
 * when, the reason the tenant chose to publish with the change that set it (never the internal
 * one), and the attestation that replaced it. Read with one statement; nothing here is secret
 * beyond the credential id, which only those who hold the credential know.
 */
export async function noticeOfCredential(tx: Queryable, tenantId: string, credentialId: string): Promise<AttestationNotice | undefined> {
  if (!isUuid(credentialId)) return undefined;
  const [row] = await tx.query<{
    attestation_id: string;
    statuses: CredentialStatus[];
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
  if (!row) return undefined;
  const status = combinedStatus(row.statuses ?? []);
  // The last change explains the status only when it is the change that set it.
  const explains = row.changed_at !== null && row.last_to === status;
  return {
    attestation: row.attestation_id,
    status,
    ...(explains ? { changedAt: row.changed_at!.toISOString() } : {}),
    ...(explains && row.public_reason ? { reason: row.public_reason } : {}),
    ...(row.successor && row.successor_issued_at
      ? { supersededBy: { attestation: row.successor, issuedAt: row.successor_issued_at.toISOString() } }
      : {}),
  };
}
