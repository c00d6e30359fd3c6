import type { Actor } from '../audit/events.ts';
import type { Queryable } from '../store/port.ts';
import type { StatusEntry } from './documents.ts';
import type { CredentialStatus } from './values.ts';

/*
 * The status domain's SQL, all of it: lists and their cursors, slots, status changes and the
 * signed copies (status_publications). Callers own the transaction and pass it in; the decisions
 * (which list is open, when a list is full, which transitions are allowed, when a copy is signed)
 * stay in lists.ts, allocate.ts, changes.ts and publish.ts. A few reads here name the credentials
 * and attestations rows: they answer "which slots does this change reach", a status question.
 */

// ---- lists and cursors ----------------------------------------------------------------------

export interface StatusListRow {
  readonly id: string;
  readonly seq: number;
  readonly size: number;
}

/** The tenant's oldest list not yet full, if any. */
export async function selectOpenList(tx: Queryable, tenantId: string): Promise<StatusListRow | undefined> {
  const [open] = await tx.query<StatusListRow>(
    'select id, seq, size from status_lists where tenant_id = $1 and full_at is null order by seq limit 1',
    [tenantId],
  );
  return open;
}

/** The highest seq of the tenant's full lists; null when none is full. */
export async function selectLastFullSeq(tx: Queryable, tenantId: string): Promise<number | null> {
  const [lastFull] = await tx.query<{ seq: number | null }>(
    'select max(seq) as seq from status_lists where tenant_id = $1 and full_at is not null',
    [tenantId],
  );
  return lastFull?.seq ?? null;
}

/** Marks a list full, unless it already is. */
export async function markListFull(tx: Queryable, tenantId: string, listId: string, now: Date): Promise<void> {
  await tx.query('update status_lists set full_at = $3 where tenant_id = $1 and id = $2 and full_at is null', [tenantId, listId, now]);
}

export async function deleteCursors(tx: Queryable, tenantId: string, listId: string): Promise<void> {
  await tx.query('delete from status_list_cursors where tenant_id = $1 and list_id = $2', [tenantId, listId]);
}

/**
 * Inserts the list's `stripes` cursor rows, splitting the numbers [0, size) among them, unless
 * it has them. Returns how many rows it inserted: 0 when the list already had them.
 */
export async function insertCursors(tx: Queryable, tenantId: string, list: StatusListRow, stripes: number): Promise<number> {
  const rows = await tx.query(
    `insert into status_list_cursors (tenant_id, list_id, stripe, next_n, stop_n)
     select $1, $2, s, ($3::bigint * s / $4)::int, ($3::bigint * (s + 1) / $4)::int from generate_series(0, $4::int - 1) s
     on conflict do nothing
     returning stripe`,
    [tenantId, list.id, list.size, stripes],
  );
  return rows.length;
}

/** Inserts list `seq`, or nothing when the tenant already has a list with that seq. */
export async function insertList(tx: Queryable, tenantId: string, id: string, seq: number, size: number, now: Date): Promise<void> {
  await tx.query(
    `insert into status_lists (tenant_id, id, seq, size, created_at) values ($1, $2, $3, $4, $5)
     on conflict (tenant_id, seq) do nothing`,
    [tenantId, id, seq, size, now],
  );
}

/** Every list of the tenant, oldest first. */
export async function listIdsOf(tx: Queryable, tenantId: string): Promise<string[]> {
  const rows = await tx.query<{ id: string }>('select id from status_lists where tenant_id = $1 order by seq', [tenantId]);
  return rows.map((r) => r.id);
}

export async function selectListBySeq(tx: Queryable, tenantId: string, seq: number): Promise<StatusListRow | undefined> {
  const [row] = await tx.query<StatusListRow>('select id, seq, size from status_lists where tenant_id = $1 and seq = $2', [tenantId, seq]);
  return row;
}

/** A list by its public id, with its change count. */
export async function selectListById(
  tx: Queryable,
  tenantId: string,
  listId: string,
): Promise<(StatusListRow & { version: number }) | undefined> {
  const [row] = await tx.query<StatusListRow & { version: string | number }>(
    'select id, seq, size, version from status_lists where tenant_id = $1 and id = $2',
    [tenantId, listId],
  );
  return row && { ...row, version: Number(row.version) };
}

// ---- slot claims ----------------------------------------------------------------------------

/** What one claim statement got (allocate.ts turns it into a slot, or claims again). */
export interface SlotClaim {
  readonly listId: string;
  /** Null when the number's slot was already taken: only in a list filled at random before migration 9. */
  readonly index: number | null;
  readonly published: boolean;
}

/**
 * One statement: takes the next number of a free cursor of the tenant's open list, and inserts
 * the slot that number maps to. Random among the free cursors, so they drain evenly and the
 * last numbers of a list are not left to one row. Undefined when no cursor with numbers left is
 * free (`skip locked`) or, waiting (`wait`), when none has numbers left at all.
 */
export async function claimSlot(tx: Queryable, tenantId: string, now: Date, lock: 'skip locked' | 'wait'): Promise<SlotClaim | undefined> {
  const [row] = await tx.query<{ list_id: string; idx: number | null; published: boolean }>(
    `with picked as (
       select c.list_id, c.stripe
         from status_list_cursors c
         join status_lists l on l.tenant_id = c.tenant_id and l.id = c.list_id
        where c.tenant_id = $1 and c.next_n < c.stop_n and l.full_at is null
        order by l.seq, random()
        limit 1
          for update of c ${lock === 'skip locked' ? 'skip locked' : ''}
     ), numbered as (
       update status_list_cursors c set next_n = c.next_n + 1
         from picked
        where c.tenant_id = $1 and c.list_id = picked.list_id and c.stripe = picked.stripe
       returning c.list_id, c.next_n - 1 as n
     ), slot as (
       insert into status_slots (tenant_id, list_id, idx, allocated_at)
       select $1, numbered.list_id, status_slot_index(l.slot_key, numbered.n, l.size), $2
         from numbered join status_lists l on l.tenant_id = $1 and l.id = numbered.list_id
       on conflict do nothing
       returning idx
     )
     select numbered.list_id, (select idx from slot) as idx,
            exists (select 1 from status_publications p where p.tenant_id = $1 and p.list_id = numbered.list_id) as published
       from numbered`,
    [tenantId, now],
  );
  return row && { listId: row.list_id, index: row.idx, published: row.published };
}

// ---- slot statuses and their changes --------------------------------------------------------

export interface LockedSlot {
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
export async function lockAttestationSlots(tx: Queryable, tenantId: string, attestationIds: readonly string[]): Promise<LockedSlot[]> {
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

/** Writes a status to the given slots of one list. */
export async function updateSlotStatuses(
  tx: Queryable,
  tenantId: string,
  listId: string,
  to: CredentialStatus,
  now: Date,
  indexes: readonly number[] | undefined,
): Promise<void> {
  await tx.query(
    `update status_slots set status = $3, changed_at = $4
        where tenant_id = $1 and list_id = $2 and idx in (select value::int from jsonb_array_elements_text($5::jsonb))`,
    [tenantId, listId, to, now, indexes],
  );
}

/** Counts one change of a list: what tells the publisher its copy is behind. */
export async function bumpListVersion(tx: Queryable, tenantId: string, listId: string): Promise<void> {
  await tx.query('update status_lists set version = version + 1 where tenant_id = $1 and id = $2', [tenantId, listId]);
}

/** One history row per attestation changed, all with the same new status, reason and author. */
export interface StatusChangeRows {
  readonly to: CredentialStatus;
  readonly reason: string;
  readonly publicReason: string | null;
  readonly changedAt: Date;
  readonly changedBy: Actor;
  readonly rows: readonly { id: string; attestation_id: string; from_status: CredentialStatus }[];
}

export async function insertStatusChanges(tx: Queryable, tenantId: string, c: StatusChangeRows): Promise<void> {
  await tx.query(
    `insert into status_changes (id, tenant_id, attestation_id, from_status, to_status, reason, public_reason, changed_at, changed_by)
     select r.id::uuid, $1, r.attestation_id::uuid, r.from_status, $2, $3, $4, $5, $6
       from jsonb_to_recordset($7::jsonb) as r(id text, attestation_id text, from_status text)`,
    [tenantId, c.to, c.reason, c.publicReason, c.changedAt, c.changedBy, c.rows],
  );
}

/** Every credential (all formats) of the attestations given, by id. */
export async function credentialIdsOf(tx: Queryable, tenantId: string, attestationIds: readonly string[]): Promise<string[]> {
  const changed = await tx.query<{ id: string }>(
    `select id from credentials where tenant_id = $1 and attestation_id in (select value::uuid from jsonb_array_elements_text($2::jsonb)) order by id`,
    [tenantId, attestationIds],
  );
  return changed.map((c) => c.id);
}

/** Whether the tenant has this attestation (the id must be a UUID: the caller checks). */
export async function attestationExists(tx: Queryable, tenantId: string, attestationId: string): Promise<boolean> {
  const rows = await tx.query('select 1 from attestations where tenant_id = $1 and id = $2', [tenantId, attestationId]);
  return rows.length > 0;
}

/** The attestation a credential represents (the id must be a UUID: the caller checks). */
export async function attestationIdOf(tx: Queryable, tenantId: string, credentialId: string): Promise<string | undefined> {
  const [row] = await tx.query<{ attestation_id: string }>('select attestation_id from credentials where tenant_id = $1 and id = $2', [
    tenantId,
    credentialId,
  ]);
  return row?.attestation_id;
}

/** Which credentials a bulk revocation covers: every one of a subject, or every one a key signed. */
export type RevocationScope = { readonly subject: string } | { readonly kid: string };

/** The attestations that have a credential in scope. */
export async function attestationIdsIn(tx: Queryable, tenantId: string, scope: RevocationScope): Promise<string[]> {
  const [condition, value] = 'kid' in scope ? ['kid = $2', scope.kid] : ['(subject_name = $2 or subject_id = $2)', scope.subject];
  const inScope = await tx.query<{ attestation_id: string }>(
    `select distinct attestation_id from credentials where tenant_id = $1 and ${condition}`,
    [tenantId, value],
  );
  return inScope.map((r) => r.attestation_id);
}

/** An attestation's slots and their statuses, unlocked (a read for the status view). */
export async function selectAttestationSlots(
  tx: Queryable,
  tenantId: string,
  attestationId: string,
): Promise<{ list_id: string; idx: number; status: CredentialStatus }[]> {
  return tx.query<{ list_id: string; idx: number; status: CredentialStatus }>(
    `select s.list_id, s.idx, s.status
           from status_slots s
           join attestation_slots h on h.tenant_id = s.tenant_id and h.list_id = s.list_id and h.idx = s.idx
          where s.tenant_id = $1 and h.attestation_id = $2
          order by s.list_id, s.idx`,
    [tenantId, attestationId],
  );
}

export interface StatusChangeRow {
  from_status: CredentialStatus;
  to_status: CredentialStatus;
  reason: string;
  public_reason: string | null;
  changed_at: Date;
  changed_by: string;
  credential_id: string | null;
}

/** Every change to an attestation's status, oldest first. */
export async function selectStatusHistory(tx: Queryable, tenantId: string, attestationId: string): Promise<StatusChangeRow[]> {
  return tx.query<StatusChangeRow>(
    `select from_status, to_status, reason, public_reason, changed_at, changed_by, credential_id from status_changes
      where tenant_id = $1 and attestation_id = $2 order by seq`,
    [tenantId, attestationId],
  );
}

/** The statuses of each attestation's slots, in one statement; attestations without a slot are absent. */
export async function selectSlotStatusesOf(
  tx: Queryable,
  tenantId: string,
  attestationIds: readonly string[],
): Promise<{ attestation_id: string; statuses: CredentialStatus[] }[]> {
  return tx.query<{ attestation_id: string; statuses: CredentialStatus[] }>(
    `select h.attestation_id, jsonb_agg(s.status) as statuses
       from attestation_slots h
       join status_slots s on s.tenant_id = h.tenant_id and s.list_id = h.list_id and s.idx = h.idx
      where h.tenant_id = $1 and h.attestation_id in (select value::uuid from jsonb_array_elements_text($2::jsonb))
      group by h.attestation_id`,
    [tenantId, attestationIds],
  );
}

/** A credential's attestation and own slot (the id must be a UUID: the caller checks). */
export async function selectCredentialSlot(
  tx: Queryable,
  tenantId: string,
  credentialId: string,
): Promise<{ attestation_id: string; list_id: string | null; idx: number | null } | undefined> {
  const [row] = await tx.query<{ attestation_id: string; list_id: string | null; idx: number | null }>(
    'select attestation_id, status_list_id as list_id, status_index as idx from credentials where tenant_id = $1 and id = $2',
    [tenantId, credentialId],
  );
  return row;
}

// ---- signed copies --------------------------------------------------------------------------

/** The latest signed copy of one list, as stored and served. */
export interface Publication {
  readonly listId: string;
  /** The list's change count this copy covers (at least). */
  readonly version: number;
  readonly kid: string;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
  readonly token: string;
  readonly revocation: string;
  readonly suspension: string;
}

interface PublicationRow {
  list_id: string;
  version: string | number;
  kid: string;
  issued_at: Date;
  expires_at: Date;
  token: string;
  revocation: string;
  suspension: string;
}

const toPublication = (r: PublicationRow): Publication => ({
  listId: r.list_id,
  version: Number(r.version),
  kid: r.kid,
  issuedAt: r.issued_at,
  expiresAt: r.expires_at,
  token: r.token,
  revocation: r.revocation,
  suspension: r.suspension,
});

const COLUMNS = 'list_id, version, kid, issued_at, expires_at, token, revocation, suspension';

export async function storedPublication(tx: Queryable, tenantId: string, listId: string): Promise<Publication | undefined> {
  const [row] = await tx.query<PublicationRow>(`select ${COLUMNS} from status_publications where tenant_id = $1 and list_id = $2`, [
    tenantId,
    listId,
  ]);
  return row && toPublication(row);
}

/** The slots of a list that are not valid: all a signed copy needs (a slot never used reads as valid). */
export async function selectNonValidEntries(tx: Queryable, tenantId: string, listId: string): Promise<StatusEntry[]> {
  return tx.query<StatusEntry>(`select idx, status from status_slots where tenant_id = $1 and list_id = $2 and status <> 'valid'`, [
    tenantId,
    listId,
  ]);
}

/**
 * Stores a signed copy, unless a copy covering a later version is already stored (then
 * undefined: a slower publisher never overwrites a faster one's newer copy).
 */
export async function upsertPublication(tx: Queryable, tenantId: string, p: Publication): Promise<Publication | undefined> {
  const [row] = await tx.query<PublicationRow>(
    `insert into status_publications (tenant_id, ${COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     on conflict (tenant_id, list_id) do update set
       version = excluded.version, kid = excluded.kid, issued_at = excluded.issued_at, expires_at = excluded.expires_at,
       token = excluded.token, revocation = excluded.revocation, suspension = excluded.suspension
     where status_publications.version <= excluded.version
     returning ${COLUMNS}`,
    [tenantId, p.listId, p.version, p.kid, p.issuedAt, p.expiresAt, p.token, p.revocation, p.suspension],
  );
  return row && toPublication(row);
}

/** Lists whose current copy the given key signed: a key revoked as compromised must not leave one behind. */
export async function listsSignedBy(tx: Queryable, tenantId: string, kid: string): Promise<string[]> {
  const rows = await tx.query<{ list_id: string }>('select list_id from status_publications where tenant_id = $1 and kid = $2', [
    tenantId,
    kid,
  ]);
  return rows.map((r) => r.list_id);
}

/**
 * Every list whose stored copy is missing, behind its changes, signed by a key that no longer
 * signs, or expiring by `horizon`, across tenants.
 */
export async function selectListsToSign(tx: Queryable, horizon: Date): Promise<{ tenant_id: string; list_id: string }[]> {
  return tx.query(
    `select l.tenant_id, l.id as list_id
       from status_lists l
       left join status_publications p on p.tenant_id = l.tenant_id and p.list_id = l.id
       left join signing_keys k on k.tenant_id = p.tenant_id and k.kid = p.kid
      where p.list_id is null
         or p.version < l.version
         or p.expires_at <= $1
         or k.retired_at is not null
         or k.revoked_at is not null
      order by l.tenant_id, l.seq`,
    [horizon],
  );
}
