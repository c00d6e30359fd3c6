import productionProof from '../../wellknown/profiles/production-proof-1.0.0.json' with { type: 'json' };
import productionReadinessChecklist from '../../wellknown/profiles/production-readiness-checklist-1.0.0.json' with { type: 'json' };
import productionReadinessReview from '../../wellknown/profiles/production-readiness-review-1.0.0.json' with { type: 'json' };
import productionProof11 from '../../wellknown/profiles/production-proof-1.1.0.json' with { type: 'json' };
import productionReadinessChecklist11 from '../../wellknown/profiles/production-readiness-checklist-1.1.0.json' with { type: 'json' };
import productionReadinessReview11 from '../../wellknown/profiles/production-readiness-review-1.1.0.json' with { type: 'json' };
import { deepFreeze } from '../util/deep-freeze.ts';
import { profileSchema, type Profile } from './profile.ts';

// Parsed at load so a broken data file fails the deploy, not the first tenant's request; frozen
// so nothing can change a profile under the digest a verdict cites.
//
// 1.1.0 of each is 1.0.0 with the freshness rule of issue 14, which 1.0.0 cannot gain without
// changing the digest its credentials cite: `evidenceMaxAgeDays` 90 for production-proof (its
// evidence is runs against the production deployment, a moment of a system that changes with
// each release: a quarter, the default validity), 180 for the checklist (configuration, CI and
// performance figures, runbook and restore rehearsals, usually repeated twice a year), 365 for
// the review (security and compliance reviews, penetration tests and policies on a yearly
// cycle); and `timeBound: false` on the one control of each whose evidence is a decision or a
// plan rather than a state (the customer's acceptance, the durable-backend plan, the
// approval-assignment roadmap). 1.0.0 is judged by the default rule (365 days).
const BUILTIN: readonly Profile[] = deepFreeze(
  [
    productionProof,
    productionReadinessChecklist,
    productionReadinessReview,
    productionProof11,
    productionReadinessChecklist11,
    productionReadinessReview11,
  ].map((p) => profileSchema.parse(p)),
);

for (const [i, p] of BUILTIN.entries()) {
  if (BUILTIN.findIndex((q) => q.id === p.id && q.version === p.version) !== i)
    throw new TypeError(`built-in profile ${p.id}@${p.version} is listed twice`);
}

export function builtinProfiles(): readonly Profile[] {
  return BUILTIN;
}

export function findBuiltinProfile(id: string, version: string): Profile | undefined {
  return BUILTIN.find((p) => p.id === id && p.version === version);
}
