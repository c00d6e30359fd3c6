import type { Actor } from '../audit/events.ts';
import { AppError } from '../errors/index.ts';
import { evaluateParsed, parseAssessment } from '../readiness/index.ts';
import type { Queryable } from '../store/port.ts';
import { requireProfile } from './profiles.ts';
import { findAssessment, insertAssessment, type NewAssessment, type StoredAssessment } from './store.ts';

export type { StoredAssessment } from './store.ts';

/**
 * Evaluates a submitted assessment against the exact profile version it names, with the verdict
 * the service computes, ready to store: nothing is written, so an issuance can store it in the
 * same statement as what it issues. Refuses with the first check that fails.
 */
export async function evaluateAssessment(
  tx: Queryable,
  deps: { now: Date; actor: Actor },
  tenantId: string,
  input: unknown,
): Promise<NewAssessment> {
  const assessment = parseAssessment(input);
  const profile = await requireProfile(tx, tenantId, assessment.profile.id, assessment.profile.version);
  const verdict = evaluateParsed(profile.pinned, assessment);
  return {
    stored: { id: crypto.randomUUID(), tenantId, assessment, verdict, createdAt: deps.now, createdBy: deps.actor },
    profileDigest: profile.pinned.digest,
  };
}

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
  const evaluated = await evaluateAssessment(tx, deps, tenantId, input);
  await insertAssessment(tx, evaluated);
  return evaluated.stored;
}

export async function requireAssessment(tx: Queryable, tenantId: string, id: string): Promise<StoredAssessment> {
  const found = await findAssessment(tx, tenantId, id);
  if (!found)
    throw new AppError('assessment_not_found', `tenant ${tenantId} has no assessment ${id}`, {
      fields: [{ pointer: '/assessment_id', detail: 'No such assessment' }],
    });
  return found;
}
