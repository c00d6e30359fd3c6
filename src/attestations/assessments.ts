import type { Actor } from '../audit/events.ts';
import { AppError } from '../errors/index.ts';
import { isUuid } from '../util/uuid.ts';
import { evaluateParsed, parseAssessment, type Assessment, type Verdict } from '../readiness/index.ts';
import type { Queryable } from '../store/port.ts';
import { requireProfile } from './profiles.ts';

export interface StoredAssessment {
  readonly id: string;
  readonly tenantId: string;
  readonly assessment: Assessment;
  readonly verdict: Verdict;
  readonly createdAt: Date;
  readonly createdBy: string;
}

interface Row {
  id: string;
  tenant_id: string;
  body: Assessment;
  verdict: Verdict;
  created_at: Date;
  created_by: string;
}

const toStored = (r: Row): StoredAssessment => ({
  id: r.id,
  tenantId: r.tenant_id,
  assessment: r.body,
  verdict: r.verdict,
  createdAt: r.created_at,
  createdBy: r.created_by,
});

/**
 * Evaluates a submitted assessment against the exact profile version it names and stores it
 * with the verdict the service computed. Nothing is stored when any check refuses it.
 */
export async function recordAssessment(
  tx: Queryable,
  deps: { now: Date; actor: Actor },
  tenantId: string,
  input: unknown,
): Promise<StoredAssessment> {
  const assessment = parseAssessment(input);
  const profile = await requireProfile(tx, tenantId, assessment.profile.id, assessment.profile.version);
  const verdict = evaluateParsed(profile.pinned, assessment);
  const id = crypto.randomUUID();
  await tx.query(
    `insert into assessments (id, tenant_id, profile_id, profile_version, profile_digest, subject, body, verdict, created_at, created_by)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      id,
      tenantId,
      assessment.profile.id,
      assessment.profile.version,
      profile.pinned.digest,
      assessment.subject,
      assessment,
      verdict,
      deps.now,
      deps.actor,
    ],
  );
  return { id, tenantId, assessment, verdict, createdAt: deps.now, createdBy: deps.actor };
}

export async function requireAssessment(tx: Queryable, tenantId: string, id: string): Promise<StoredAssessment> {
  const rows = isUuid(id)
    ? await tx.query<Row>('select id, tenant_id, body, verdict, created_at, created_by from assessments where tenant_id = $1 and id = $2', [
        tenantId,
        id,
      ])
    : [];
  if (!rows[0])
    throw new AppError('assessment_not_found', `tenant ${tenantId} has no assessment ${id}`, {
      fields: [{ pointer: '/assessment_id', detail: 'No such assessment' }],
    });
  return toStored(rows[0]);
}
