import { recordEvent, type Actor } from '../audit/events.ts';
import { AppError } from '../errors/index.ts';
import type { Database, Queryable } from '../store/port.ts';
import { withTenant } from '../store/tenant-scope.ts';
import { isUuid } from '../util/uuid.ts';
import type { Metrics } from '../metrics/port.ts';
import { assertTransition, combinedStatus, type CredentialStatus } from './values.ts';
import { notePublicationChange } from '../store/publication-changes.ts';
import { statusChangedEntry } from '../transparency/events.ts';
import { appendEntries } from '../transparency/store.ts';
import {
  attestationExists,
  attestationIdOf,
  attestationIdsIn,
  bumpListVersion,
  credentialIdsOf,
  insertStatusChanges,
  lockAttestationSlots,
  selectAttestationSlots,
  selectCredentialSlot,
  selectSlotStatusesOf,
  selectStatusHistory,
  updateSlotStatuses,
  type LockedSlot,
  type RevocationScope,
} from './store.ts';

/*
 * Status belongs to the attestation: its credentials (one per format) share one slot, so one
 * change reaches every format at once. An attestation issued before that has a slot per
 * credential; a change writes all of them in the same transaction, so they never disagree again.
 */

export interface StatusChangeContext {
  readonly now: Date;
  readonly actor: Actor;
  readonly metrics?: Metrics;
}

/** What a change says: the new status, the tenant's internal reason, and what it tells relying parties. */
export interface StatusChangeRequest {
  readonly to: CredentialStatus;
  readonly reason: string;
  readonly publicReason?: string;
}

export interface StatusHistoryEntry {
  readonly from: CredentialStatus;
  readonly to: CredentialStatus;
  readonly reason: string;
  readonly publicReason: string | null;
  readonly changedAt: Date;
  readonly changedBy: string;
  /** Set on changes made to one credential before attestations were the unit. */
  readonly credentialId: string | null;
}

export interface AttestationStatusView {
  readonly attestationId: string;
  readonly status: CredentialStatus;
  /** Where the status is published: one slot, or one per credential for an attestation issued before. */
  readonly slots: readonly { readonly listId: string; readonly index: number }[];
  readonly history: readonly StatusHistoryEntry[];
}

/** The outcome of one change request: what changed, and which lists now need re-signing. */
export interface StatusChangeOutcome {
  readonly attestations: readonly string[];
  /** Every credential whose published status changed (all formats of each attestation). */
  readonly changed: readonly string[];
  readonly lists: readonly string[];
}

const NO_CHANGE: StatusChangeOutcome = { attestations: [], changed: [], lists: [] };

/**
 * Writes the new status to every slot given that does not hold it yet, one history row per
 * attestation, and a version bump per list (what tells the publisher a list changed). Lists are
 * bumped in id order so concurrent changes never deadlock.
 */
async function apply(
  tx: Queryable,
  ctx: StatusChangeContext,
  tenantId: string,
  slots: readonly LockedSlot[],
  change: StatusChangeRequest,
): Promise<StatusChangeOutcome> {
  const before = new Map<string, CredentialStatus[]>();
  for (const s of slots) before.set(s.attestation_id, [...(before.get(s.attestation_id) ?? []), s.status]);
  const moving = slots.filter((s) => s.status !== change.to);
  if (moving.length === 0) return NO_CHANGE;
  const byList = new Map<string, number[]>();
  for (const s of moving) byList.set(s.list_id, [...(byList.get(s.list_id) ?? []), s.idx]);
  const lists = [...byList.keys()].sort();
  for (const listId of lists) {
    await updateSlotStatuses(tx, tenantId, listId, change.to, ctx.now, byList.get(listId));
    await bumpListVersion(tx, tenantId, listId);
  }
  const attestations = [...new Set(moving.map((s) => s.attestation_id))];
  notePublicationChange(tx, tenantId);
  await insertStatusChanges(tx, tenantId, {
    to: change.to,
    reason: change.reason,
    publicReason: change.publicReason ?? null,
    changedAt: ctx.now,
    changedBy: ctx.actor,
    rows: attestations.map((a) => ({ id: crypto.randomUUID(), attestation_id: a, from_status: combinedStatus(before.get(a)!) })),
  });
  // Each attestation's change, in its log: the reason only where the tenant publishes one.
  await appendEntries(
    tx,
    tenantId,
    attestations.map((a) =>
      statusChangedEntry(tenantId, {
        attestationId: a,
        from: combinedStatus(before.get(a)!),
        to: change.to,
        at: ctx.now,
        publicReason: change.publicReason ?? null,
      }),
    ),
  );
  const changed = await credentialIdsOf(tx, tenantId, attestations);
  // Counted as written, inside the caller's transaction (the callers are many, the write is here):
  // a transaction that fails after this point over-counts by its changes, which is rare and harmless.
  for (let i = 0; i < attestations.length; i++) ctx.metrics?.record({ kind: 'status_changed', to: change.to });
  return { attestations, changed, lists };
}

/**
 * Sets one attestation's status, for every format at once. Asking for the status it already has
 * changes nothing and records nothing; leaving `revoked` is refused (409 status_final).
 */
export async function changeAttestationStatus(
  tx: Queryable,
  ctx: StatusChangeContext,
  tenantId: string,
  attestationId: string,
  change: StatusChangeRequest,
): Promise<StatusChangeOutcome> {
  const exists = isUuid(attestationId) && (await attestationExists(tx, tenantId, attestationId));
  if (!exists) throw new AppError('attestation_not_found', `tenant ${tenantId} has no attestation ${attestationId}`);
  const slots = await lockAttestationSlots(tx, tenantId, [attestationId]);
  if (slots.length === 0) {
    throw new AppError('credential_without_status', `attestation ${attestationId} was issued before status lists and has no slot`);
  }
  assertTransition(attestationId, combinedStatus(slots.map((s) => s.status)), change.to);
  const outcome = await apply(tx, ctx, tenantId, slots, change);
  if (outcome.attestations.length === 0) return outcome;
  await recordEvent(tx, {
    tenantId,
    at: ctx.now,
    actor: ctx.actor,
    action: `attestation.${change.to === 'valid' ? 'reinstated' : change.to}`,
    target: attestationId,
    detail: {
      from: combinedStatus(slots.map((s) => s.status)),
      reason: change.reason,
      ...(change.publicReason ? { public_reason: change.publicReason } : {}),
      credentials: outcome.changed,
    },
  });
  return outcome;
}

/** The attestation a credential represents; 404 for an unknown credential. */
async function attestationOf(tx: Queryable, tenantId: string, credentialId: string): Promise<string> {
  const attestationId = isUuid(credentialId) ? await attestationIdOf(tx, tenantId, credentialId) : undefined;
  if (!attestationId) throw new AppError('credential_not_found', `tenant ${tenantId} has no credential ${credentialId}`);
  return attestationId;
}

/** Sets the status of the attestation a credential represents: every format of it changes together. */
export async function changeStatus(
  tx: Queryable,
  ctx: StatusChangeContext,
  tenantId: string,
  credentialId: string,
  change: StatusChangeRequest,
): Promise<StatusChangeOutcome> {
  return changeAttestationStatus(tx, ctx, tenantId, await attestationOf(tx, tenantId, credentialId), change);
}

/**
 * Revokes every attestation in scope that is not revoked yet, all its formats with it, in the
 * caller's transaction (key revocation runs it inside its own).
 */
export async function revokeAll(
  tx: Queryable,
  ctx: StatusChangeContext,
  tenantId: string,
  scope: RevocationScope,
  reason: string,
): Promise<StatusChangeOutcome> {
  const inScope = await attestationIdsIn(tx, tenantId, scope);
  if (inScope.length === 0) return NO_CHANGE;
  const slots = await lockAttestationSlots(tx, tenantId, inScope);
  const outcome = await apply(tx, ctx, tenantId, slots, { to: 'revoked', reason });
  if (outcome.attestations.length === 0) return outcome;
  await recordEvent(tx, {
    tenantId,
    at: ctx.now,
    actor: ctx.actor,
    action: 'attestations.revoked',
    target: 'kid' in scope ? scope.kid : scope.subject,
    detail: {
      scope: 'kid' in scope ? 'kid' : 'subject',
      reason,
      attestations: outcome.attestations.length,
      credentials: outcome.changed.length,
    },
  });
  return outcome;
}

/** An attestation's current status, where it is published, and every change to it, oldest first. */
export async function attestationStatus(tx: Queryable, tenantId: string, attestationId: string): Promise<AttestationStatusView> {
  const slots = isUuid(attestationId) ? await selectAttestationSlots(tx, tenantId, attestationId) : [];
  if (slots.length === 0) {
    const known = isUuid(attestationId) && (await attestationExists(tx, tenantId, attestationId));
    if (!known) throw new AppError('attestation_not_found', `tenant ${tenantId} has no attestation ${attestationId}`);
    throw new AppError('credential_without_status', `attestation ${attestationId} was issued before status lists and has no slot`);
  }
  const history = await selectStatusHistory(tx, tenantId, attestationId);
  return {
    attestationId,
    status: combinedStatus(slots.map((s) => s.status)),
    slots: slots.map((s) => ({ listId: s.list_id, index: s.idx })),
    history: history.map((h) => ({
      from: h.from_status,
      to: h.to_status,
      reason: h.reason,
      publicReason: h.public_reason,
      changedAt: h.changed_at,
      changedBy: h.changed_by,
      credentialId: h.credential_id,
    })),
  };
}

/**
 * The current status of each attestation given, in one statement (a page of an operator's list);
 * an attestation issued before status lists is absent from the map.
 */
export async function statusesOf(
  tx: Queryable,
  tenantId: string,
  attestationIds: readonly string[],
): Promise<Map<string, CredentialStatus>> {
  if (attestationIds.length === 0) return new Map();
  const rows = await selectSlotStatusesOf(tx, tenantId, attestationIds);
  return new Map(rows.map((r) => [r.attestation_id, combinedStatus(r.statuses)]));
}

/** A credential's status view: its attestation's status, and the credential's own slot. */
export interface CredentialStatusView extends AttestationStatusView {
  readonly credentialId: string;
  readonly listId: string;
  readonly index: number;
}

export async function statusOf(tx: Queryable, tenantId: string, credentialId: string): Promise<CredentialStatusView> {
  const row = isUuid(credentialId) ? await selectCredentialSlot(tx, tenantId, credentialId) : undefined;
  if (!row) throw new AppError('credential_not_found', `tenant ${tenantId} has no credential ${credentialId}`);
  if (row.list_id === null || row.idx === null) {
    throw new AppError('credential_without_status', `credential ${credentialId} was issued before status lists and has no slot`);
  }
  return { ...(await attestationStatus(tx, tenantId, row.attestation_id)), credentialId, listId: row.list_id, index: row.idx };
}

/**
 * The use case behind the status routes: one change and the status it leaves, in one transaction,
 * so the answer never shows another writer's change as this one's.
 */
export function setAttestationStatus(
  db: Database,
  ctx: StatusChangeContext,
  tenantId: string,
  attestationId: string,
  change: StatusChangeRequest,
): Promise<{ outcome: StatusChangeOutcome; status: AttestationStatusView }> {
  return withTenant(db, tenantId, async (tx) => {
    const outcome = await changeAttestationStatus(tx, ctx, tenantId, attestationId, change);
    return { outcome, status: await attestationStatus(tx, tenantId, attestationId) };
  });
}

/** The same, named by one of the attestation's credentials; the view is that credential's. */
export function setCredentialStatus(
  db: Database,
  ctx: StatusChangeContext,
  tenantId: string,
  credentialId: string,
  change: StatusChangeRequest,
): Promise<{ outcome: StatusChangeOutcome; status: CredentialStatusView }> {
  return withTenant(db, tenantId, async (tx) => {
    const outcome = await changeStatus(tx, ctx, tenantId, credentialId, change);
    return { outcome, status: await statusOf(tx, tenantId, credentialId) };
  });
}
