import { AppError } from '../errors/index.ts';
import type { CredentialFormat } from '../credentials/records.ts';
import type { Assessment, Profile, Verdict } from '../readiness/index.ts';
import type { Queryable } from '../store/port.ts';
import { keysetPage } from '../store/cursor.ts';
import { isUuid } from '../util/uuid.ts';
import { noteLogAppend, notePublicationChange } from '../store/publication-changes.ts';
import { appendEntrySql, type NewLogEntry } from '../transparency/store.ts';

/*
 * The SQL of the attestations domain: assessments, tenant profiles, attestations and the
 * credential rows an issuance writes with them.
 */

/** An assessment as stored, with the verdict the service computed for it. */
export interface StoredAssessment {
  readonly id: string;
  readonly tenantId: string;
  readonly assessment: Assessment;
  readonly verdict: Verdict;
  readonly createdAt: Date;
  readonly createdBy: string;
}

/** A new assessment and the digest of the profile version it was evaluated against. */
export interface NewAssessment {
  readonly stored: StoredAssessment;
  readonly profileDigest: string;
}

interface AssessmentRow {
  id: string;
  tenant_id: string;
  body: Assessment;
  verdict: Verdict;
  created_at: Date;
  created_by: string;
}

const ASSESSMENT_COLUMNS = 'id, tenant_id, profile_id, profile_version, profile_digest, subject, body, verdict, created_at, created_by';

const assessmentParams = ({ stored: a, profileDigest }: NewAssessment) => [
  a.id,
  a.tenantId,
  a.assessment.profile.id,
  a.assessment.profile.version,
  profileDigest,
  a.assessment.subject,
  a.assessment,
  a.verdict,
  a.createdAt,
  a.createdBy,
];

export async function insertAssessment(tx: Queryable, a: NewAssessment): Promise<void> {
  await tx.query(`insert into assessments (${ASSESSMENT_COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, assessmentParams(a));
}

export async function findAssessment(tx: Queryable, tenantId: string, id: string): Promise<StoredAssessment | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await tx.query<AssessmentRow>(
    'select id, tenant_id, body, verdict, created_at, created_by from assessments where tenant_id = $1 and id = $2',
    [tenantId, id],
  );
  return (
    row && {
      id: row.id,
      tenantId: row.tenant_id,
      assessment: row.body,
      verdict: row.verdict,
      createdAt: row.created_at,
      createdBy: row.created_by,
    }
  );
}

/** A tenant profile version as stored: the text and its digest. */
export interface ProfileRow {
  readonly profile: Profile;
  readonly digest: string;
}

/** The tenant's own profiles, by id and then age. */
export function tenantProfiles(tx: Queryable, tenantId: string): Promise<ProfileRow[]> {
  return tx.query<ProfileRow>('select profile, digest from tenant_profiles where tenant_id = $1 order by profile_id, created_at', [
    tenantId,
  ]);
}

export async function findTenantProfile(tx: Queryable, tenantId: string, id: string, version: string): Promise<ProfileRow | undefined> {
  const [row] = await tx.query<ProfileRow>(
    'select profile, digest from tenant_profiles where tenant_id = $1 and profile_id = $2 and version = $3',
    [tenantId, id, version],
  );
  return row;
}

/** Inserts a tenant profile version unless that id@version exists; false when it did. */
export async function insertTenantProfile(
  tx: Queryable,
  p: { tenantId: string; profile: Profile; digest: string; createdAt: Date; createdBy: string },
): Promise<boolean> {
  const inserted = await tx.query(
    `insert into tenant_profiles (tenant_id, profile_id, version, profile, digest, created_at, created_by)
     values ($1, $2, $3, $4, $5, $6, $7) on conflict do nothing returning profile_id`,
    [p.tenantId, p.profile.id, p.profile.version, p.profile, p.digest, p.createdAt, p.createdBy],
  );
  return inserted.length > 0;
}

/** The profile versions the tenant's credentials cite: the built-ins and its own it issued under, and its own once used. */
export function citedProfileVersions(tx: Queryable, tenantId: string): Promise<{ id: string; version: string }[]> {
  return tx.query<{ id: string; version: string }>(
    `select distinct profile_id as id, profile_version as version from credentials where tenant_id = $1
     union select profile_id, version from tenant_profiles where tenant_id = $1 and used_at is not null
     order by id, version`,
    [tenantId],
  );
}

/** Records the first issuance under a tenant profile version (a no-op after the first). */
export async function markProfileUsed(tx: Queryable, tenantId: string, id: string, version: string, at: Date): Promise<void> {
  await tx.query('update tenant_profiles set used_at = $4 where tenant_id = $1 and profile_id = $2 and version = $3 and used_at is null', [
    tenantId,
    id,
    version,
    at,
  ]);
}

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

/** A signed credential of a new attestation; everything else on its row is the attestation's. */
export interface NewCredential {
  readonly id: string;
  readonly format: CredentialFormat;
  readonly credential: string;
}

export interface NewIssuance {
  /** The assessment evaluated for this issuance, stored with it; absent when it was stored before. */
  readonly assessment?: NewAssessment;
  readonly attestation: AttestationRecord;
  readonly holder: Record<string, unknown> | null;
  readonly credentials: readonly NewCredential[];
  /** The audit event of the issuance: by the attestation's issuer, at its issuing instant, of its tenant. */
  readonly event: { readonly action: string; readonly target: string; readonly detail: Record<string, unknown> };
  /** Its entry in the tenant's transparency log (transparency/events.ts). */
  readonly logEntry: NewLogEntry;
}

// The attestation, its audit event, its log entry and its credential rows (one per format, from a
// jsonb array: the port passes no SQL arrays) in one statement; the foreign keys are checked at
// its end, when all are in. The audit row is the one audit/events.ts writes and the log entry the
// one transparency/store.ts appends, here so as to cost no statement.
const ISSUANCE = `attestation as (
    insert into attestations (${COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
  ), event as (
    insert into audit_events (tenant_id, at, actor, action, target, detail) values ($2, $9, $12, $18, $19, $20)
  ), log as (
    ${appendEntrySql('$2', '$21', '$22', '$23', '$24')}
  )
  insert into credentials (id, tenant_id, attestation_id, assessment_id, format, kid, profile_id, profile_version, subject_name,
    subject_id, issued_at, valid_from, valid_until, holder, credential, issued_by, status_list_id, status_index)
  select c.id, $2, $1, $3, c.format, $8, $4, $5, $6, $7, $9, $10, $11, $16, c.credential, $12, $14, $15
    from jsonb_to_recordset($17::jsonb) as c (id uuid, format text, credential text)`;
const ISSUANCE_WITH_ASSESSMENT = `with assessment as (
    insert into assessments (${ASSESSMENT_COLUMNS}) values ($25, $26, $27, $28, $29, $30, $31, $32, $33, $34)
  ), ${ISSUANCE}`;

/**
 * Stores one issuance in one statement: its new assessment (if any), the attestation, every
 * credential row, the audit event and the log entry. One round trip whatever the number of formats; the caller's transaction makes
 * it atomic with the slot claim and the rest.
 */
export async function recordIssuance(tx: Queryable, i: NewIssuance): Promise<void> {
  const a = i.attestation;
  // A successor changes its predecessor's public notice.
  if (a.supersedes) notePublicationChange(tx, a.tenantId);
  noteLogAppend(tx, a.tenantId);
  const params: unknown[] = [
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
    i.holder,
    i.credentials.map((c) => ({ id: c.id, format: c.format, credential: c.credential })),
    i.event.action,
    i.event.target,
    i.event.detail,
    i.logEntry.body,
    i.logEntry.type,
    i.logEntry.attestationId,
    i.logEntry.at,
  ];
  if (!i.assessment) {
    await tx.query(`with ${ISSUANCE}`, params);
    return;
  }
  if (i.assessment.stored.id !== a.assessmentId) throw new TypeError('the new assessment is not the one attested');
  await tx.query(ISSUANCE_WITH_ASSESSMENT, [...params, ...assessmentParams(i.assessment)]);
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

/** Share links of an attestation that still open: neither revoked nor expired at `now`. */
export async function activeShareCount(tx: Queryable, tenantId: string, attestationId: string, now: Date): Promise<number> {
  const [row] = await tx.query<{ n: number }>(
    'select count(*)::int as n from shares where tenant_id = $1 and attestation_id = $2 and revoked_at is null and expires_at > $3',
    [tenantId, attestationId, now],
  );
  return row?.n ?? 0;
}
