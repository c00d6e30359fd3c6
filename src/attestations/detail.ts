import { AppError } from '../errors/index.ts';
import type { Database } from '../store/port.ts';
import { withTenant } from '../store/tenant-scope.ts';
import { attestationStatus, statusesOf, type AttestationStatusView } from '../status/changes.ts';
import type { CredentialStatus } from '../status/values.ts';
import { issuanceIndexes } from '../transparency/store.ts';
import { relyingParties, type RelyingParties } from '../webhooks/store.ts';
import {
  activeShareCount,
  formatsOf,
  listAttestations,
  requireAttestation,
  successorOf,
  successorsOf,
  type AttestationFilter,
  type AttestationFormat,
  type AttestationRecord,
} from './store.ts';

/** One attestation as its issuer sees it: the record, every format, status with history, lineage, share count. */
export interface AttestationDetail {
  readonly record: AttestationRecord;
  readonly formats: readonly AttestationFormat[];
  /** Null only for an attestation issued before status lists. */
  readonly status: AttestationStatusView | null;
  readonly supersededBy: { readonly id: string; readonly issuedAt: Date } | null;
  readonly activeShares: number;
  /** Buyers subscribed to its notices (docs/webhooks.md, Buyers): how many, and the names they chose to give. */
  readonly relyingParties: RelyingParties;
  /** Its issuance entry's index in the tenant's log; null while the sequencer has not reached it (or issued before the log). */
  readonly logIndex: number | null;
}

async function statusOrNull(...args: Parameters<typeof attestationStatus>): Promise<AttestationStatusView | null> {
  try {
    return await attestationStatus(...args);
  } catch (e) {
    if (e instanceof AppError && e.code === 'credential_without_status') return null;
    throw e;
  }
}

export function attestationDetail(db: Database, tenantId: string, id: string, now: Date): Promise<AttestationDetail> {
  return withTenant(db, tenantId, async (tx) => {
    const record = await requireAttestation(tx, tenantId, id);
    return {
      record,
      formats: await formatsOf(tx, tenantId, id),
      status: await statusOrNull(tx, tenantId, id),
      supersededBy: (await successorOf(tx, tenantId, id)) ?? null,
      activeShares: await activeShareCount(tx, tenantId, id, now),
      relyingParties: (await relyingParties(tx, tenantId, [id], now)).get(id) ?? { subscribed: 0, named: [] },
      logIndex: (await issuanceIndexes(tx, tenantId, [id])).get(id) ?? null,
    };
  });
}

/** A page of attestations, newest first, each with its status, lineage and log index (no credential bodies): four statements a page. */
export function attestationPage(
  db: Database,
  tenantId: string,
  filter: AttestationFilter,
): Promise<{
  items: (AttestationRecord & {
    status: CredentialStatus | null;
    supersededBy: { id: string; issuedAt: Date } | null;
    logIndex: number | null;
  })[];
  next: string | null;
}> {
  return withTenant(db, tenantId, async (tx) => {
    const page = await listAttestations(tx, tenantId, filter);
    const ids = page.items.map((r) => r.id);
    const statuses = await statusesOf(tx, tenantId, ids);
    const successors = await successorsOf(tx, tenantId, ids);
    const indexes = await issuanceIndexes(tx, tenantId, ids);
    const items = page.items.map((r) => ({
      ...r,
      status: statuses.get(r.id) ?? null,
      supersededBy: successors.get(r.id) ?? null,
      logIndex: indexes.get(r.id) ?? null,
    }));
    return { items, next: page.next };
  });
}
