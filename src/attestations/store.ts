import { AppError } from '../errors/index.ts';
import type { CredentialFormat } from '../credentials/records.ts';
import type { Queryable } from '../store/port.ts';
import { keysetPage } from '../store/cursor.ts';
import { isUuid } from '../util/uuid.ts';
import { notePublicationChange } from '../store/publication-changes.ts';

/** One issuance: what was attested, to whom, for how long, and where its status lives. */
export interface AttestationRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly assessmentId: string;
  readonly profileId: string;
  readonly profileVersion: string;
  readonly subjectName: string;
  readonly subjectId: string | null;
  readonly kid: string;
  readonly issuedAt: Date;
  readonly validFrom: Date;
  readonly validUntil: Date;
  readonly issuedBy: string;
  readonly supersedes: string | null;
  /** The shared slot; null for an attestation issued before attestations were the unit. */
  readonly statusListId: string | null;
  readonly statusIndex: number | null;
}

interface Row {
  id: string;
  tenant_id: string;
  assessment_id: string;
  profile_id: string;
  profile_version: string;
  subject_name: string;
  subject_id: string | null;
  kid: string;
  issued_at: Date;
  valid_from: Date;
  valid_until: Date;
  issued_by: string;
  supersedes: string | null;
  status_list_id: string | null;
  status_index: number | null;
}

const COLUMNS = `id, tenant_id, assessment_id, profile_id, profile_version, subject_name, subject_id, kid,
  issued_at, valid_from, valid_until, issued_by, supersedes, status_list_id, status_index`;

const toRecord = (r: Row): AttestationRecord => ({
  id: r.id,
  tenantId: r.tenant_id,
  assessmentId: r.assessment_id,
  profileId: r.profile_id,
  profileVersion: r.profile_version,
  subjectName: r.subject_name,
  subjectId: r.subject_id,
  kid: r.kid,
  issuedAt: r.issued_at,
  validFrom: r.valid_from,
  validUntil: r.valid_until,
  issuedBy: r.issued_by,
  supersedes: r.supersedes,
  statusListId: r.status_list_id,
  statusIndex: r.status_index,
});

export async function insertAttestation(tx: Queryable, a: AttestationRecord): Promise<void> {
  // A successor changes its predecessor's public notice.
  if (a.supersedes) notePublicationChange(tx, a.tenantId);
  await tx.query(`insert into attestations (${COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`, [
    a.id,
    a.tenantId,
    a.assessmentId,
    a.profileId,
    a.profileVersion,
    a.subjectName,
    a.subjectId,
    a.kid,
    a.issuedAt,
    a.validFrom,
    a.validUntil,
    a.issuedBy,
    a.supersedes,
    a.statusListId,
    a.statusIndex,
  ]);
}

export async function findAttestation(
  tx: Queryable,
  tenantId: string,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<AttestationRecord | undefined> {
  if (!isUuid(id)) return undefined;
  const rows = await tx.query<Row>(
    `select ${COLUMNS} from attestations where tenant_id = $1 and id = $2${options.forUpdate ? ' for update' : ''}`,
    [tenantId, id],
  );
  return rows[0] && toRecord(rows[0]);
}

export async function requireAttestation(
  tx: Queryable,
  tenantId: string,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<AttestationRecord> {
  const found = await findAttestation(tx, tenantId, id, options);
  if (!found) throw new AppError('attestation_not_found', `tenant ${tenantId} has no attestation ${id}`);
  return found;
}

/** The attestation a credential represents. */
export async function attestationOfCredential(tx: Queryable, tenantId: string, credentialId: string): Promise<string | undefined> {
  if (!isUuid(credentialId)) return undefined;
  const [row] = await tx.query<{ attestation_id: string }>('select attestation_id from credentials where tenant_id = $1 and id = $2', [
    tenantId,
    credentialId,
  ]);
  return row?.attestation_id;
}

/** The attestation that replaced this one, if any. */
export async function successorOf(tx: Queryable, tenantId: string, id: string): Promise<{ id: string; issuedAt: Date } | undefined> {
  const [row] = await tx.query<{ id: string; issued_at: Date }>(
    'select id, issued_at from attestations where tenant_id = $1 and supersedes = $2',
    [tenantId, id],
  );
  return row && { id: row.id, issuedAt: row.issued_at };
}

/** The successor of each attestation given that has one, in one statement. */
export async function successorsOf(
  tx: Queryable,
  tenantId: string,
  ids: readonly string[],
): Promise<Map<string, { id: string; issuedAt: Date }>> {
  if (ids.length === 0) return new Map();
  const rows = await tx.query<{ supersedes: string; id: string; issued_at: Date }>(
    `select supersedes, id, issued_at from attestations
      where tenant_id = $1 and supersedes in (select value::uuid from jsonb_array_elements_text($2::jsonb))`,
    [tenantId, ids],
  );
  return new Map(rows.map((r) => [r.supersedes, { id: r.id, issuedAt: r.issued_at }]));
}

/** One credential of an attestation: a format it was issued in. */
export interface AttestationFormat {
  readonly credentialId: string;
  readonly format: CredentialFormat;
  readonly credential: string;
  /** Set only for credentials issued before attestations shared one slot. */
  readonly statusListId: string | null;
  readonly statusIndex: number | null;
}

export async function formatsOf(tx: Queryable, tenantId: string, attestationId: string): Promise<AttestationFormat[]> {
  const rows = await tx.query<{
    id: string;
    format: CredentialFormat;
    credential: string;
    status_list_id: string | null;
    status_index: number | null;
  }>(
    `select id, format, credential, status_list_id, status_index from credentials
      where tenant_id = $1 and attestation_id = $2 order by format`,
    [tenantId, attestationId],
  );
  return rows.map((r) => ({
    credentialId: r.id,
    format: r.format,
    credential: r.credential,
    statusListId: r.status_list_id,
    statusIndex: r.status_index,
  }));
}

export interface AttestationFilter {
  readonly subject?: string;
  readonly profile?: string;
  readonly limit: number;
  readonly cursor?: string;
}

/** Newest first, keyset-paged so a page boundary never skips or repeats a record under inserts. */
export async function listAttestations(
  tx: Queryable,
  tenantId: string,
  f: AttestationFilter,
): Promise<{ items: AttestationRecord[]; next: string | null }> {
  const conditions: [string, unknown][] = [];
  if (f.subject) conditions.push(['(subject_name = ? or subject_id = ?)', f.subject]);
  if (f.profile) conditions.push(['profile_id = ?', f.profile]);
  const page = await keysetPage<Row>(tx, {
    table: 'attestations',
    columns: COLUMNS,
    tenantId,
    conditions,
    limit: f.limit,
    ...(f.cursor ? { cursor: f.cursor } : {}),
  });
  return { items: page.rows.map(toRecord), next: page.next };
}
