import type { Actor } from '../audit/events.ts';
import { AppError } from '../errors/index.ts';
import { evaluateParsed, parseAssessment, type Assessment, type Profile } from '../readiness/index.ts';
import type { Queryable } from '../store/port.ts';
import { requireProfile } from './profiles.ts';
import { findAssessment, insertAssessment, type NewAssessment, type StoredAssessment } from './store.ts';

export type { StoredAssessment } from './store.ts';

/**
 * Evaluates an assessment already checked against the assessment schema (the issuance routes
 * validate their whole body with it, so a second parse would only repeat the first) against
 * the exact profile version it names, with the verdict the service computes, ready to store:
 * nothing is written, so an issuance can store it in the same statement as what it issues.
 */
export async function evaluateAssessment(
  tx: Queryable,
  deps: { now: Date; actor: Actor },
  tenantId: string,
  assessment: Assessment,
): Promise<NewAssessment & { readonly profile: Profile }> {
  const profile = await requireProfile(tx, tenantId, assessment.profile.id, assessment.profile.version);
  const verdict = evaluateParsed(profile.pinned, assessment, deps.now);
  return {
    stored: { id: crypto.randomUUID(), tenantId, assessment, verdict, createdAt: deps.now, createdBy: deps.actor },
    profileDigest: profile.pinned.digest,
    // The profile it was judged by, so an issuance need not look it up again (evidence-bound validity).
    profile: profile.pinned.profile,
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
  const evaluated = await evaluateAssessment(tx, deps, tenantId, parseAssessment(input));
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
