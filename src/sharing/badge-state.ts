import type { Database } from '../store/port.ts';
import { withTenant } from '../store/tenant-scope.ts';
import { combinedStatus } from '../status/values.ts';
import { openShare } from './shares.ts';
import { badgeFacts } from './store.ts';

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
    const facts = await badgeFacts(tx, share.tenantId, share.attestationId);
    if (!facts) return undefined;
    const listed = combinedStatus(facts.statuses);
    // What the lists say comes first; a valid attestation may still have run out or been replaced.
    const status: BadgeStatus =
      listed !== 'valid'
        ? listed
        : facts.validUntil.getTime() <= now.getTime()
          ? 'expired'
          : facts.superseded
            ? 'superseded'
            : facts.statuses.length > 0
              ? 'valid'
              : 'unknown';
    return { stage: facts.stage, status, tenantName: share.tenantName, subject: facts.subjectName };
  });
}
