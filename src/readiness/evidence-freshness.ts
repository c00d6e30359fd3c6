import type { FieldProblem } from '../errors/index.ts';
import type { Assessment } from './assessment.ts';
import { profileControls, type Control, type Profile } from './profile.ts';

/**
 * A profile that states no freshness rule (every profile written before the rule existed,
 * the built-in 1.0.0 ones included, whose text and digest cannot change) is judged by a year:
 * the cycle of the evidence these checklists ask for (annual penetration tests, yearly
 * restore rehearsals and access reviews, SOC 2 periods). A profile shortens it by stating its own.
 */
export const DEFAULT_EVIDENCE_MAX_AGE_DAYS = 365;

/** A clock a few minutes ahead of ours is not a tenant claiming to have seen the future. */
export const OBSERVED_AT_SKEW_MS = 5 * 60_000;

export function evidenceMaxAgeDays(profile: Pick<Profile, 'evidenceMaxAgeDays'>): number {
  return profile.evidenceMaxAgeDays ?? DEFAULT_EVIDENCE_MAX_AGE_DAYS;
}

export function isTimeBound(control: Pick<Control, 'timeBound'>): boolean {
  return control.timeBound !== false;
}

/**
 * The evidence instants that cannot be right whatever the profile: an expiry not after the
 * observation, and (when the caller knows the time) an observation in the future. `now` is
 * absent where the assessment is judged again later (a verifier recomputing a verdict), when
 * "the future" would mean the verifier's, not the issuer's.
 */
export function evidenceTimeRefusals(assessment: Assessment, now?: Date): FieldProblem[] {
  const problems: FieldProblem[] = [];
  assessment.results.forEach((r, i) =>
    r.evidence?.forEach((e, j) => {
      const at = `/results/${i}/evidence/${j}`;
      const observed = e.observedAt === undefined ? undefined : Date.parse(e.observedAt);
      const expires = e.expiresAt === undefined ? undefined : Date.parse(e.expiresAt);
      if (observed !== undefined && expires !== undefined && expires <= observed)
        problems.push({ pointer: `${at}/expiresAt`, detail: `control '${r.control}': evidence expires at or before it was observed` });
      if (observed !== undefined && now !== undefined && observed > now.getTime() + OBSERVED_AT_SKEW_MS)
        problems.push({ pointer: `${at}/observedAt`, detail: `control '${r.control}': evidence observed in the future` });
    }),
  );
  return problems;
}

/** A piece of evidence whose expiry a passing, time-bound control relies on. */
export interface ExpiringEvidence {
  readonly control: string;
  readonly uri: string;
  readonly expiresAt: Date;
  /** Where its expiresAt is, in the assessment. */
  readonly pointer: string;
}

/**
 * The evidence that bounds a credential's validity: of passing controls only (a failing,
 * partial or not_applicable one vouches for nothing, so its evidence's age changes no claim),
 * and only of controls the profile does not mark as timeless. Earliest expiry first.
 */
export function expiringEvidence(profile: Profile, assessment: Assessment): ExpiringEvidence[] {
  const timeless = new Set(
    profileControls(profile)
      .filter((c) => !isTimeBound(c))
      .map((c) => c.id),
  );
  const out: ExpiringEvidence[] = [];
  assessment.results.forEach((r, i) => {
    if (r.status !== 'pass' || timeless.has(r.control)) return;
    r.evidence?.forEach((e, j) => {
      if (e.expiresAt !== undefined)
        out.push({ control: r.control, uri: e.uri, expiresAt: new Date(e.expiresAt), pointer: `/results/${i}/evidence/${j}/expiresAt` });
    });
  });
  return out.sort((a, b) => a.expiresAt.getTime() - b.expiresAt.getTime());
}
