import type { Queryable } from '../store/port.ts';
import { keysetPage } from '../store/cursor.ts';
import { isUuid } from '../util/uuid.ts';

/*
 * The credentials domain's store: the issuer's record of each credential and the SQL that reads
 * it (callers own the transaction). The rows are written by the issuance (attestations/store.ts),
 * inside its transaction; status/store.ts reads their slot columns.
 */

export const CREDENTIAL_FORMATS = ['vc+jwt', 'jwt_vc_json', 'dc+sd-jwt'] as const;
export type CredentialFormat = (typeof CREDENTIAL_FORMATS)[number];

/** The issuer's record of one issued credential. */
export interface CredentialRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly attestationId: string;
  readonly assessmentId: string;
  readonly format: CredentialFormat;
  readonly kid: string;
  readonly profileId: string;
  readonly profileVersion: string;
  readonly subjectName: string;
  readonly subjectId: string | null;
  readonly issuedAt: Date;
  readonly validFrom: Date;
  readonly validUntil: Date;
  readonly holder: Record<string, unknown> | null;
  readonly credential: string;
  readonly issuedBy: string;
  /** The status-list slot (absent only for credentials issued before status lists). */
  readonly statusListId: string | null;
  readonly statusIndex: number | null;
}

interface Row {
  id: string;
  tenant_id: string;
  attestation_id: string;
  assessment_id: string;
  format: CredentialFormat;
  kid: string;
  profile_id: string;
  profile_version: string;
  subject_name: string;
  subject_id: string | null;
  issued_at: Date;
  valid_from: Date;
  valid_until: Date;
  holder: Record<string, unknown> | null;
  credential: string;
  issued_by: string;
  status_list_id: string | null;
  status_index: number | null;
}

const COLUMNS = `id, tenant_id, attestation_id, assessment_id, format, kid, profile_id, profile_version, subject_name, subject_id,
  issued_at, valid_from, valid_until, holder, credential, issued_by, status_list_id, status_index`;

const toRecord = (r: Row): CredentialRecord => ({
  id: r.id,
  tenantId: r.tenant_id,
  attestationId: r.attestation_id,
  assessmentId: r.assessment_id,
  format: r.format,
  kid: r.kid,
  profileId: r.profile_id,
  profileVersion: r.profile_version,
  subjectName: r.subject_name,
  subjectId: r.subject_id,
  issuedAt: r.issued_at,
  validFrom: r.valid_from,
  validUntil: r.valid_until,
  holder: r.holder,
  credential: r.credential,
  issuedBy: r.issued_by,
  statusListId: r.status_list_id,
  statusIndex: r.status_index,
});

export async function findCredential(tx: Queryable, tenantId: string, id: string): Promise<CredentialRecord | undefined> {
  if (!isUuid(id)) return undefined;
  const rows = await tx.query<Row>(`select ${COLUMNS} from credentials where tenant_id = $1 and id = $2`, [tenantId, id]);
  return rows[0] && toRecord(rows[0]);
}

export interface CredentialFilter {
  readonly subject?: string;
  readonly profile?: string;
  readonly format?: CredentialFormat;
  readonly issuedFrom?: Date;
  readonly issuedBefore?: Date;
  readonly limit: number;
  readonly cursor?: string;
}

/** Newest first, keyset-paged so a page boundary never skips or repeats a record under inserts. */
export async function listCredentials(
  tx: Queryable,
  tenantId: string,
  f: CredentialFilter,
): Promise<{ items: CredentialRecord[]; next: string | null }> {
  const conditions: [string, unknown][] = [];
  if (f.subject) conditions.push(['(subject_name = ? or subject_id = ?)', f.subject]);
  if (f.profile) conditions.push(['profile_id = ?', f.profile]);
  if (f.format) conditions.push(['format = ?', f.format]);
  if (f.issuedFrom) conditions.push(['issued_at >= ?', f.issuedFrom]);
  if (f.issuedBefore) conditions.push(['issued_at < ?', f.issuedBefore]);
  const page = await keysetPage<Row>(tx, {
    table: 'credentials',
    columns: COLUMNS,
    tenantId,
    conditions,
    limit: f.limit,
    ...(f.cursor ? { cursor: f.cursor } : {}),
  });
  return { items: page.rows.map(toRecord), next: page.next };
}
