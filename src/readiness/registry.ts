import productionProof from '../../wellknown/profiles/production-proof-1.0.0.json' with { type: 'json' };
import productionReadinessChecklist from '../../wellknown/profiles/production-readiness-checklist-1.0.0.json' with { type: 'json' };
import productionReadinessReview from '../../wellknown/profiles/production-readiness-review-1.0.0.json' with { type: 'json' };
import { deepFreeze } from '../util/deep-freeze.ts';
import { profileSchema, type Profile } from './profile.ts';

// Parsed at load so a broken data file fails the deploy, not the first tenant's request; frozen
// so nothing can change a profile under the digest a verdict cites.
const BUILTIN: readonly Profile[] = deepFreeze(
  [productionProof, productionReadinessChecklist, productionReadinessReview].map((p) => profileSchema.parse(p)),
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
