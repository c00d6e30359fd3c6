import { recordEvent, type Actor } from '../audit/events.ts';
import { AppError } from '../errors/index.ts';
import type { Queryable } from '../store/port.ts';
import { isUuid } from '../util/uuid.ts';
import { assertTransition, type CredentialStatus } from './values.ts';

export interface StatusChangeContext {
  readonly now: Date;
  readonly actor: Actor;
}

export interface StatusHistoryEntry {
  readonly from: CredentialStatus;
  readonly to: CredentialStatus;
  readonly reason: string;
  readonly changedAt: Date;
  readonly changedBy: string;
}

export interface CredentialStatusView {
  readonly credentialId: string;
  readonly status: CredentialStatus;
  readonly listId: string;
  readonly index: number;
  readonly history: readonly StatusHistoryEntry[];
}

/** A credential's slot, locked for the change. */
interface LockedSlot {
  id: string;
  list_id: string;
  idx: number;
  status: CredentialStatus;
}

/** The outcome of one change request: which lists now need re-signing. */
export interface StatusChangeOutcome {
  readonly changed: readonly string[];
  readonly lists: readonly string[];
}

/**
 * Writes one new status for every slot given, in the caller's transaction: the slots, a history
 * row per credential, and a version bump per list (what tells the publisher a list changed).
 * Slots arrive locked; lists are bumped in id order so concurrent changes never deadlock.
 */
async function apply(
  tx: Queryable,
  ctx: StatusChangeContext,
  tenantId: string,
  slots: readonly LockedSlot[],
  to: CredentialStatus,
  reason: string,
): Promise<StatusChangeOutcome> {
  const byList = new Map<string, number[]>();
  for (const s of slots) byList.set(s.list_id, [...(byList.get(s.list_id) ?? []), s.idx]);
  const lists = [...byList.keys()].sort();
  for (const listId of lists) {
    await tx.query(
      `update status_slots set status = $3, changed_at = $4
        where tenant_id = $1 and list_id = $2 and idx in (select value::int from jsonb_array_elements_text($5::jsonb))`,
      [tenantId, listId, to, ctx.now, byList.get(listId)],
    );
    await tx.query('update status_lists set version = version + 1 where tenant_id = $1 and id = $2', [tenantId, listId]);
  }
  await tx.query(
    `insert into status_changes (id, tenant_id, credential_id, from_status, to_status, reason, changed_at, changed_by)
     select r.id::uuid, $1, r.credential_id::uuid, r.from_status, $2, $3, $4, $5
       from jsonb_to_recordset($6::jsonb) as r(id text, credential_id text, from_status text)`,
    [tenantId, to, reason, ctx.now, ctx.actor, slots.map((s) => ({ id: crypto.randomUUID(), credential_id: s.id, from_status: s.status }))],
  );
  return { changed: slots.map((s) => s.id), lists };
}

/** The credential's slot, locked; 404 for an unknown credential, 409 for one issued without a slot. */
async function lockSlotOf(tx: Queryable, tenantId: string, credentialId: string): Promise<LockedSlot> {
  const [credential] = isUuid(credentialId)
    ? await tx.query<{ list_id: string | null; idx: number | null }>(
        'select status_list_id as list_id, status_index as idx from credentials where tenant_id = $1 and id = $2',
        [tenantId, credentialId],
      )
    : [];
  if (!credential) throw new AppError('credential_not_found', `tenant ${tenantId} has no credential ${credentialId}`);
  if (credential.list_id === null || credential.idx === null) {
    throw new AppError('credential_without_status', `credential ${credentialId} was issued before status lists and has no slot`);
  }
  const [slot] = await tx.query<{ status: CredentialStatus }>(
    'select status from status_slots where tenant_id = $1 and list_id = $2 and idx = $3 for update',
    [tenantId, credential.list_id, credential.idx],
  );
  return { id: credentialId, list_id: credential.list_id, idx: credential.idx, status: slot!.status };
}

/**
 * Sets one credential's status. Asking for the status it already has changes nothing and
 * records nothing; leaving `revoked` is refused (409 status_final).
 */
export async function changeStatus(
  tx: Queryable,
  ctx: StatusChangeContext,
  tenantId: string,
  credentialId: string,
  to: CredentialStatus,
  reason: string,
): Promise<StatusChangeOutcome> {
  const slot = await lockSlotOf(tx, tenantId, credentialId);
  assertTransition(credentialId, slot.status, to);
  if (slot.status === to) return { changed: [], lists: [] };
  const outcome = await apply(tx, ctx, tenantId, [slot], to, reason);
  await recordEvent(tx, {
    tenantId,
    at: ctx.now,
    actor: ctx.actor,
    action: `credential.${to === 'valid' ? 'reinstated' : to}`,
    target: credentialId,
    detail: { from: slot.status, reason },
  });
  return outcome;
}

/** Which credentials a bulk revocation covers: every one of a subject, or every one a key signed. */
export type RevocationScope = { readonly subject: string } | { readonly kid: string };

/**
 * Revokes every credential in scope that is not revoked yet, in the caller's transaction
 * (key revocation runs it inside its own). Slots are locked in list and index order.
 */
export async function revokeAll(
  tx: Queryable,
  ctx: StatusChangeContext,
  tenantId: string,
  scope: RevocationScope,
  reason: string,
): Promise<StatusChangeOutcome> {
  const [condition, value] = 'kid' in scope ? ['c.kid = $2', scope.kid] : ['(c.subject_name = $2 or c.subject_id = $2)', scope.subject];
  const slots = await tx.query<LockedSlot>(
    `select c.id, s.list_id, s.idx, s.status
       from credentials c
       join status_slots s on s.tenant_id = c.tenant_id and s.list_id = c.status_list_id and s.idx = c.status_index
      where c.tenant_id = $1 and ${condition} and s.status <> 'revoked'
      order by s.list_id, s.idx
      for update of s`,
    [tenantId, value],
  );
  if (slots.length === 0) return { changed: [], lists: [] };
  const outcome = await apply(tx, ctx, tenantId, slots, 'revoked', reason);
  await recordEvent(tx, {
    tenantId,
    at: ctx.now,
    actor: ctx.actor,
    action: 'credentials.revoked',
    target: 'kid' in scope ? scope.kid : scope.subject,
    detail: { scope: 'kid' in scope ? 'kid' : 'subject', reason, count: slots.length },
  });
  return outcome;
}

/** A credential's current status, where it is published, and every change to it, oldest first. */
export async function statusOf(tx: Queryable, tenantId: string, credentialId: string): Promise<CredentialStatusView> {
  const [row] = isUuid(credentialId)
    ? await tx.query<{ list_id: string | null; idx: number | null; status: CredentialStatus | null }>(
        `select c.status_list_id as list_id, c.status_index as idx, s.status
           from credentials c
           left join status_slots s on s.tenant_id = c.tenant_id and s.list_id = c.status_list_id and s.idx = c.status_index
          where c.tenant_id = $1 and c.id = $2`,
        [tenantId, credentialId],
      )
    : [];
  if (!row) throw new AppError('credential_not_found', `tenant ${tenantId} has no credential ${credentialId}`);
  if (row.list_id === null || row.idx === null || row.status === null) {
    throw new AppError('credential_without_status', `credential ${credentialId} was issued before status lists and has no slot`);
  }
  const history = await tx.query<{
    from_status: CredentialStatus;
    to_status: CredentialStatus;
    reason: string;
    changed_at: Date;
    changed_by: string;
  }>(
    `select from_status, to_status, reason, changed_at, changed_by from status_changes
      where tenant_id = $1 and credential_id = $2 order by seq`,
    [tenantId, credentialId],
  );
  return {
    credentialId,
    status: row.status,
    listId: row.list_id,
    index: row.idx,
    history: history.map((h) => ({
      from: h.from_status,
      to: h.to_status,
      reason: h.reason,
      changedAt: h.changed_at,
      changedBy: h.changed_by,
    })),
  };
}
