import type { Database } from '../store/port.ts';
import { withTenant } from '../store/tenant-scope.ts';
import { combinedStatus, type CredentialStatus } from '../status/values.ts';
import { openShare } from './shares.ts';

/** Where a shared attestation stands, as its badge shows it. */
export type BadgeStatus = 'valid' | 'suspended' | 'revoked' | 'superseded' | 'unknown' | 'expired';

/** What a shared attestation's badge says: the launch stage it attests and where it stands now. */
export interface BadgeState {
  readonly stage: string | null;
  readonly status: BadgeStatus;
  readonly tenantName: string;
  readonly subject: string;
}

/**
 * The badge of a share link, from the issuer's own records: revoked or suspended as the status
 * lists say, superseded when a newer attestation replaced it, expired past its validity. A
 * badge fetch is not a view: it is embedded in pages and fetched by every reader of them.
 */
export async function badgeStateOf(db: Database, token: string, now: Date): Promise<BadgeState | 'gone' | undefined> {
  const share = await openShare(db, token, now, { countView: false });
  if (!share) return undefined;
  if (share.kind === 'gone') return 'gone';
  return withTenant(db, share.tenantId, async (tx) => {
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
      [share.tenantId, share.attestationId],
    );
    if (!row) return undefined;
    const statuses = row.statuses ?? [];
    const listed = combinedStatus(statuses);
    // What the lists say comes first; a valid attestation may still have run out or been replaced.
    const status: BadgeStatus =
      listed !== 'valid'
        ? listed
        : row.valid_until.getTime() <= now.getTime()
          ? 'expired'
          : row.superseded
            ? 'superseded'
            : statuses.length > 0
              ? 'valid'
              : 'unknown';
    return { stage: row.stage, status, tenantName: share.tenantName, subject: row.subject_name };
  });
}
