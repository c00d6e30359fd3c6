import type { Queryable } from '../store/port.ts';
import { noteLogAppend } from '../store/publication-changes.ts';
import { together } from '../store/together.ts';
import { base64Encode } from '../util/base64.ts';

/*
 * The SQL of the tenant logs (migrations/0010_transparency_log.sql): entries written with the
 * changes they record, the sequencer's head, tiles and indexes, and what the log's readers ask.
 */

/** An entry to append: its canonical bytes as text, and what it is about. */
export interface NewLogEntry {
  readonly body: string;
  readonly type: string;
  readonly attestationId: string | null;
  readonly at: Date;
}

/**
 * Appends the entries of the jsonb array `entries` (appendParam's) for the tenant `tenant`, in their
 * order: one statement whatever their number (the port passes no SQL arrays). A fragment, so that
 * issuance appends in the statement it already sends.
 */
export const appendEntriesSql = (tenant: string, entries: string) => `insert into log_entries (tenant_id, body, type, attestation_id, at)
  select ${tenant}, e.body, e.type, e.attestation_id, e.at
    from jsonb_to_recordset(${entries}::jsonb) as e (ord int, body text, type text, attestation_id uuid, at timestamptz)
   order by e.ord`;

/**
 * Appends one entry, its fields as parameters (named by the caller's placeholders): issuance's
 * single entry, in the statement it already sends. Parameters rather than a jsonb array, because
 * parsing the array and scanning it as a record set cost the issuance statement more than the
 * row itself (pgbench: half the inserts a second).
 */
export const appendEntrySql = (tenant: string, body: string, type: string, attestationId: string, at: string) =>
  `insert into log_entries (tenant_id, body, type, attestation_id, at) values (${tenant}, ${body}, ${type}, ${attestationId}::uuid, ${at}::timestamptz)`;

/** The entries as appendEntriesSql takes them, in the order given. */
export const appendParam = (entries: readonly NewLogEntry[]) =>
  entries.map((e, ord) => ({ body: e.body, type: e.type, attestation_id: e.attestationId, at: e.at.toISOString(), ord }));

/** Appends entries (unsequenced) in the caller's transaction; the sequencer is told once it commits. */
export async function appendEntries(tx: Queryable, tenantId: string, entries: readonly NewLogEntry[]): Promise<void> {
  if (entries.length === 0) return;
  noteLogAppend(tx, tenantId);
  await tx.query(appendEntriesSql('$1', '$2'), [tenantId, appendParam(entries)]);
}

/** The log's head as the sequencer holds it. */
export interface LogHeadRow {
  readonly origin: string;
  readonly size: number;
  readonly edge: Uint8Array;
  readonly checkpoint: string | null;
}

interface HeadRow {
  origin: string;
  size: string | number;
  edge: Uint8Array;
  checkpoint: string | null;
}

const toHead = (r: HeadRow): LogHeadRow => ({ origin: r.origin, size: Number(r.size), edge: r.edge, checkpoint: r.checkpoint });

/**
 * The head of the tenant's log with its row locked to the end of the transaction (created empty,
 * named `origin`, the first time): one sequencer at a time per tenant, on every instance.
 */
export async function lockHead(tx: Queryable, tenantId: string, origin: string): Promise<LogHeadRow> {
  // ON CONFLICT DO UPDATE locks the existing row, as FOR UPDATE would, in the same statement.
  const [row] = await tx.query<HeadRow>(
    `insert into log_heads as h (tenant_id, origin) values ($1, $2)
       on conflict (tenant_id) do update set tenant_id = h.tenant_id
       returning origin, size, edge, checkpoint`,
    [tenantId, origin],
  );
  return toHead(row!);
}

/** The head as last sequenced, unlocked; undefined before the log's first entry is sequenced. */
export async function readHead(tx: Queryable, tenantId: string): Promise<LogHeadRow | undefined> {
  const [row] = await tx.query<HeadRow>('select origin, size, edge, checkpoint from log_heads where tenant_id = $1', [tenantId]);
  return row && row.checkpoint !== null ? toHead(row) : undefined;
}

/** Committed entries not sequenced yet, in the order they were written, at most `limit`. */
export async function pendingEntries(tx: Queryable, tenantId: string, limit: number): Promise<{ entryId: string; body: string }[]> {
  const rows = await tx.query<{ entry_id: string | number; body: string }>(
    'select entry_id, body from log_entries where tenant_id = $1 and idx is null order by entry_id limit $2',
    [tenantId, limit],
  );
  return rows.map((r) => ({ entryId: String(r.entry_id), body: r.body }));
}

/** Gives entries `first`, `first + 1`, … in the order given: one statement. */
export async function assignIndexes(tx: Queryable, tenantId: string, entryIds: readonly string[], first: number): Promise<void> {
  await tx.query(
    `update log_entries e set idx = v.idx from jsonb_to_recordset($2::jsonb) as v (entry_id bigint, idx bigint)
      where e.tenant_id = $1 and e.entry_id = v.entry_id and e.idx is null`,
    [tenantId, entryIds.map((entryId, i) => ({ entry_id: entryId, idx: first + i }))],
  );
}

/** Writes full tiles (never again: a full tile is immutable), and the new head, in one statement. */
export async function advanceHead(
  tx: Queryable,
  tenantId: string,
  head: { size: number; edge: Uint8Array; checkpoint: string; at: Date },
  fullTiles: readonly { level: number; index: number; hashes: Uint8Array }[],
): Promise<void> {
  await tx.query(
    `with tiles as (
       insert into log_tiles (tenant_id, level, idx, hashes)
       select $1, t.level, t.idx, decode(t.hashes, 'base64') from jsonb_to_recordset($6::jsonb) as t (level smallint, idx bigint, hashes text)
     )
     update log_heads set size = $2, edge = $3, checkpoint = $4, updated_at = $5 where tenant_id = $1`,
    [
      tenantId,
      head.size,
      head.edge,
      head.checkpoint,
      head.at,
      fullTiles.map((t) => ({ level: t.level, idx: t.index, hashes: base64Encode(t.hashes) })),
    ],
  );
}

/** The head's checkpoint signed anew (its log key replaced); the tree it commits to is the same. */
export async function resignHead(tx: Queryable, tenantId: string, checkpoint: string, at: Date): Promise<void> {
  await tx.query('update log_heads set checkpoint = $2, updated_at = $3 where tenant_id = $1', [tenantId, checkpoint, at]);
}

/** Full tiles, by level and index: each 256 hashes of 32 bytes. */
export async function fullTiles(
  tx: Queryable,
  tenantId: string,
  wanted: readonly { level: number; index: number }[],
): Promise<Map<string, Uint8Array>> {
  if (wanted.length === 0) return new Map();
  const rows = await tx.query<{ level: number; idx: string | number; hashes: Uint8Array }>(
    `select t.level, t.idx, t.hashes from log_tiles t
       join jsonb_to_recordset($2::jsonb) as w (level smallint, idx bigint) on t.level = w.level and t.idx = w.idx
      where t.tenant_id = $1`,
    [tenantId, wanted.map((w) => ({ level: w.level, idx: w.index }))],
  );
  return new Map(rows.map((r) => [`${r.level}/${Number(r.idx)}`, r.hashes]));
}

/** A sequenced entry: its index and exact text. */
export interface LoggedEntry {
  readonly index: number;
  readonly body: string;
}

interface EntryRow {
  idx: string | number;
  body: string;
}

const toEntry = (r: EntryRow): LoggedEntry => ({ index: Number(r.idx), body: r.body });

/** The sequenced entries with indexes in [from, to), in order. */
export async function entriesInRange(tx: Queryable, tenantId: string, from: number, to: number): Promise<LoggedEntry[]> {
  const rows = await tx.query<EntryRow>('select idx, body from log_entries where tenant_id = $1 and idx >= $2 and idx < $3 order by idx', [
    tenantId,
    from,
    to,
  ]);
  return rows.map(toEntry);
}

/** An attestation's sequenced entries (its issuance, its status changes), oldest first, and how many are still pending. */
export async function entriesOfAttestation(
  tx: Queryable,
  tenantId: string,
  attestationId: string,
): Promise<{ entries: (LoggedEntry & { type: string })[]; pending: number }> {
  // Two reads, each by its own partial index: sequenced entries by attestation, and the few pending.
  const [rows, [waiting]] = await together([
    tx.query<EntryRow & { type: string }>(
      'select idx, body, type from log_entries where tenant_id = $1 and attestation_id = $2 and idx is not null order by idx',
      [tenantId, attestationId],
    ),
    tx.query<{ n: number }>('select count(*)::int as n from log_entries where tenant_id = $1 and idx is null and attestation_id = $2', [
      tenantId,
      attestationId,
    ]),
  ]);
  return { entries: rows.map((r) => ({ ...toEntry(r), type: r.type })), pending: waiting?.n ?? 0 };
}

/** The log index of each attestation's issuance entry (absent: pending, or none). */
export async function issuanceIndexes(tx: Queryable, tenantId: string, attestationIds: readonly string[]): Promise<Map<string, number>> {
  if (attestationIds.length === 0) return new Map();
  const rows = await tx.query<{ attestation_id: string; idx: string | number }>(
    `select attestation_id, idx from log_entries
      where tenant_id = $1 and type = 'attestation.issued' and idx is not null
        and attestation_id in (select value::uuid from jsonb_array_elements_text($2::jsonb))`,
    [tenantId, attestationIds],
  );
  return new Map(rows.map((r) => [r.attestation_id, Number(r.idx)]));
}

/** The sequenced entries below `below` whose change happened in [from, to], in log order: at most `limit`. */
export async function entriesBetween(
  tx: Queryable,
  tenantId: string,
  range: { from: Date; to: Date; below: number },
  limit: number,
): Promise<LoggedEntry[]> {
  const rows = await tx.query<EntryRow>(
    `select idx, body from log_entries where tenant_id = $1 and at >= $2 and at <= $3 and idx is not null and idx < $4
      order by idx limit $5`,
    [tenantId, range.from, range.to, range.below, limit],
  );
  return rows.map(toEntry);
}

/** Tenants with entries waiting for the sequencer (across tenants: the caller runs acrossTenants). */
export async function tenantsWithPending(tx: Queryable): Promise<string[]> {
  const rows = await tx.query<{ tenant_id: string }>('select distinct tenant_id from log_entries where idx is null');
  return rows.map((r) => r.tenant_id);
}

/*
 * Audit exports (migrations 10 and 11): asked for by an auditor, built off the request path by
 * the export builder, served through signed links until they expire.
 */

export type AuditExportFormat = 'json' | 'csv' | 'zip';

export interface AuditExportRow {
  readonly tenantId: string;
  readonly id: string;
  readonly from: Date;
  readonly to: Date;
  readonly format: AuditExportFormat;
  readonly requestedBy: string;
  readonly requestedAt: Date;
  readonly builtAt: Date | null;
  readonly failure: string | null;
  readonly mediaType: string | null;
  readonly expiresAt: Date;
  /** The key that signs its download links (absent only on rows older than migration 11). */
  readonly linkKey: Uint8Array | null;
  /** Whether the package is still held (it is dropped once the export expires). */
  readonly hasPackage: boolean;
}

interface ExportRow {
  tenant_id: string;
  id: string;
  from_at: Date;
  to_at: Date;
  format: AuditExportFormat;
  requested_by: string;
  requested_at: Date;
  built_at: Date | null;
  failure: string | null;
  media_type: string | null;
  expires_at: Date;
  link_key: Uint8Array | null;
  has_package: boolean;
}

const EXPORT_COLUMNS = `tenant_id, id, from_at, to_at, format, requested_by, requested_at, built_at, failure, media_type, expires_at, link_key,
  package is not null as has_package`;

const toExport = (r: ExportRow): AuditExportRow => ({
  tenantId: r.tenant_id,
  id: r.id,
  from: new Date(r.from_at),
  to: new Date(r.to_at),
  format: r.format,
  requestedBy: r.requested_by,
  requestedAt: new Date(r.requested_at),
  builtAt: r.built_at && new Date(r.built_at),
  failure: r.failure,
  mediaType: r.media_type,
  expiresAt: new Date(r.expires_at),
  linkKey: r.link_key,
  hasPackage: r.has_package,
});

/** Records an export to build. */
export async function insertAuditExport(
  tx: Queryable,
  e: {
    tenantId: string;
    id: string;
    from: Date;
    to: Date;
    format: AuditExportFormat;
    requestedBy: string;
    requestedAt: Date;
    expiresAt: Date;
    linkKey: Uint8Array;
  },
): Promise<AuditExportRow> {
  const [row] = await tx.query<ExportRow>(
    `insert into audit_exports (tenant_id, id, from_at, to_at, format, requested_by, requested_at, expires_at, link_key)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning ${EXPORT_COLUMNS}`,
    [e.tenantId, e.id, e.from, e.to, e.format, e.requestedBy, e.requestedAt, e.expiresAt, e.linkKey],
  );
  return toExport(row!);
}

/** One export of the tenant, without its package. */
export async function findAuditExport(tx: Queryable, tenantId: string, id: string): Promise<AuditExportRow | undefined> {
  const [row] = await tx.query<ExportRow>(`select ${EXPORT_COLUMNS} from audit_exports where tenant_id = $1 and id = $2`, [tenantId, id]);
  return row && toExport(row);
}

/** The package of a built export, or undefined. */
export async function auditExportPackage(tx: Queryable, tenantId: string, id: string): Promise<Uint8Array | undefined> {
  const [row] = await tx.query<{ package: Uint8Array | null }>('select package from audit_exports where tenant_id = $1 and id = $2', [
    tenantId,
    id,
  ]);
  return row?.package ?? undefined;
}

/** The tenant's exports still to build, oldest first, locked; one a builder elsewhere holds is skipped, not waited for. */
export async function lockUnbuiltExports(tx: Queryable, tenantId: string, limit: number): Promise<AuditExportRow[]> {
  const rows = await tx.query<ExportRow>(
    `select ${EXPORT_COLUMNS} from audit_exports where tenant_id = $1 and built_at is null and failure is null
      order by requested_at, id limit $2 for update skip locked`,
    [tenantId, limit],
  );
  return rows.map(toExport);
}

/** Tenants with exports to build (across tenants: the caller runs acrossTenants). */
export async function tenantsWithUnbuiltExports(tx: Queryable): Promise<string[]> {
  const rows = await tx.query<{ tenant_id: string }>(
    'select distinct tenant_id from audit_exports where built_at is null and failure is null',
  );
  return rows.map((r) => r.tenant_id);
}

/** Stores a built package. */
export async function markExportBuilt(
  tx: Queryable,
  tenantId: string,
  id: string,
  built: { at: Date; mediaType: string; package: Uint8Array },
): Promise<void> {
  await tx.query('update audit_exports set built_at = $3, media_type = $4, package = $5 where tenant_id = $1 and id = $2', [
    tenantId,
    id,
    built.at,
    built.mediaType,
    built.package,
  ]);
}

/** Records why an export could not be built (it is not tried again). */
export async function markExportFailed(tx: Queryable, tenantId: string, id: string, failure: string): Promise<void> {
  await tx.query('update audit_exports set failure = $3 where tenant_id = $1 and id = $2', [tenantId, id, failure.slice(0, 500)]);
}

/** Drops the packages of expired exports (across tenants); the rows stay, as the record of what was asked and built. */
export async function dropExpiredPackages(tx: Queryable, now: Date): Promise<number> {
  const rows = await tx.query<{ id: string }>(
    'update audit_exports set package = null where expires_at <= $1 and package is not null returning id',
    [now],
  );
  return rows.length;
}
