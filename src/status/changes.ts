import { recordEvent, type Actor } from '../audit/events.ts';
import { AppError } from '../errors/index.ts';
import type { Database, Queryable } from '../store/port.ts';
import { withTenant } from '../store/tenant-scope.ts';
import { isUuid } from '../util/uuid.ts';
import type { Metrics } from '../metrics/port.ts';
import { assertTransition, combinedStatus, type CredentialStatus } from './values.ts';
import { notePublicationChange } from '../store/publication-changes.ts';

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

interface LockedSlot {
  attestation_id: string;
  list_id: string;
  idx: number;
  status: CredentialStatus;
}

/**
 * The slots of the attestations given (the `attestation_slots` view: each one's shared slot, or
 * the own slots of its older credentials), locked in list and index order so concurrent changes
 * never deadlock.
 */
async function lockSlots(tx: Queryable, tenantId: string, attestationIds: readonly string[]): Promise<LockedSlot[]> {
  return tx.query<LockedSlot>(
    `select h.attestation_id, s.list_id, s.idx, s.status
       from status_slots s
       join attestation_slots h on h.tenant_id = s.tenant_id and h.list_id = s.list_id and h.idx = s.idx
      where s.tenant_id = $1 and h.attestation_id in (select value::uuid from jsonb_array_elements_text($2::jsonb))
      order by s.list_id, s.idx
      for update of s`,
    [tenantId, attestationIds],
  );
}

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
    await tx.query(
      `update status_slots set status = $3, changed_at = $4
        where tenant_id = $1 and list_id = $2 and idx in (select value::int from jsonb_array_elements_text($5::jsonb))`,
      [tenantId, listId, change.to, ctx.now, byList.get(listId)],
    );
    await tx.query('update status_lists set version = version + 1 where tenant_id = $1 and id = $2', [tenantId, listId]);
  }
  const attestations = [...new Set(moving.map((s) => s.attestation_id))];
  notePublicationChange(tx, tenantId);
  await tx.query(
    `insert into status_changes (id, tenant_id, attestation_id, from_status, to_status, reason, public_reason, changed_at, changed_by)
     select r.id::uuid, $1, r.attestation_id::uuid, r.from_status, $2, $3, $4, $5, $6
       from jsonb_to_recordset($7::jsonb) as r(id text, attestation_id text, from_status text)`,
    [
      tenantId,
      change.to,
      change.reason,
      change.publicReason ?? null,
      ctx.now,
      ctx.actor,
      attestations.map((a) => ({ id: crypto.randomUUID(), attestation_id: a, from_status: combinedStatus(before.get(a)!) })),
    ],
  );
  const changed = await tx.query<{ id: string }>(
    `select id from credentials where tenant_id = $1 and attestation_id in (select value::uuid from jsonb_array_elements_text($2::jsonb)) order by id`,
    [tenantId, attestations],
  );
  // Counted as written, inside the caller's transaction (the callers are many, the write is here):
  // a transaction that fails after this point over-counts by its changes, which is rare and harmless.
  for (let i = 0; i < attestations.length; i++) ctx.metrics?.record({ kind: 'status_changed', to: change.to });
  return { attestations, changed: changed.map((c) => c.id), lists };
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
  const exists = isUuid(attestationId)
    ? await tx.query('select 1 from attestations where tenant_id = $1 and id = $2', [tenantId, attestationId])
    : [];
  if (exists.length === 0) throw new AppError('attestation_not_found', `tenant ${tenantId} has no attestation ${attestationId}`);
  const slots = await lockSlots(tx, tenantId, [attestationId]);
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
  const [row] = isUuid(credentialId)
    ? await tx.query<{ attestation_id: string }>('select attestation_id from credentials where tenant_id = $1 and id = $2', [
        tenantId,
        credentialId,
      ])
    : [];
  if (!row) throw new AppError('credential_not_found', `tenant ${tenantId} has no credential ${credentialId}`);
  return row.attestation_id;
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

/** Which credentials a bulk revocation covers: every one of a subject, or every one a key signed. */
export type RevocationScope = { readonly subject: string } | { readonly kid: string };

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
  const [condition, value] = 'kid' in scope ? ['kid = $2', scope.kid] : ['(subject_name = $2 or subject_id = $2)', scope.subject];
  const inScope = await tx.query<{ attestation_id: string }>(
    `select distinct attestation_id from credentials where tenant_id = $1 and ${condition}`,
    [tenantId, value],
  );
  if (inScope.length === 0) return NO_CHANGE;
  const slots = await lockSlots(
    tx,
    tenantId,
    inScope.map((r) => r.attestation_id),
  );
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
  const slots = isUuid(attestationId)
    ? await tx.query<{ list_id: string; idx: number; status: CredentialStatus }>(
        `select s.list_id, s.idx, s.status
           from status_slots s
           join attestation_slots h on h.tenant_id = s.tenant_id and h.list_id = s.list_id and h.idx = s.idx
          where s.tenant_id = $1 and h.attestation_id = $2
          order by s.list_id, s.idx`,
        [tenantId, attestationId],
      )
    : [];
  if (slots.length === 0) {
    const known = isUuid(attestationId)
      ? await tx.query('select 1 from attestations where tenant_id = $1 and id = $2', [tenantId, attestationId])
      : [];
    if (known.length === 0) throw new AppError('attestation_not_found', `tenant ${tenantId} has no attestation ${attestationId}`);
    throw new AppError('credential_without_status', `attestation ${attestationId} was issued before status lists and has no slot`);
  }
  const history = await tx.query<{
    from_status: CredentialStatus;
    to_status: CredentialStatus;
    reason: string;
    public_reason: string | null;
    changed_at: Date;
    changed_by: string;
    credential_id: string | null;
  }>(
    `select from_status, to_status, reason, public_reason, changed_at, changed_by, credential_id from status_changes
      where tenant_id = $1 and attestation_id = $2 order by seq`,
    [tenantId, attestationId],
  );
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
  const rows = await tx.query<{ attestation_id: string; statuses: CredentialStatus[] }>(
    `select h.attestation_id, jsonb_agg(s.status) as statuses
       from attestation_slots h
       join status_slots s on s.tenant_id = h.tenant_id and s.list_id = h.list_id and s.idx = h.idx
      where h.tenant_id = $1 and h.attestation_id in (select value::uuid from jsonb_array_elements_text($2::jsonb))
      group by h.attestation_id`,
    [tenantId, attestationIds],
  );
  return new Map(rows.map((r) => [r.attestation_id, combinedStatus(r.statuses)]));
}

/** A credential's status view: its attestation's status, and the credential's own slot. */
export interface CredentialStatusView extends AttestationStatusView {
  readonly credentialId: string;
  readonly listId: string;
  readonly index: number;
}

export async function statusOf(tx: Queryable, tenantId: string, credentialId: string): Promise<CredentialStatusView> {
  const [row] = isUuid(credentialId)
    ? await tx.query<{ attestation_id: string; list_id: string | null; idx: number | null }>(
        'select attestation_id, status_list_id as list_id, status_index as idx from credentials where tenant_id = $1 and id = $2',
        [tenantId, credentialId],
      )
    : [];
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
