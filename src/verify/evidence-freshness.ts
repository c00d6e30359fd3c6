import { evidenceMaxAgeDays, findBuiltinProfile, isTimeBound, profileControls, type Profile } from '../readiness/index.ts';
import type { ProfileSource, ReadinessClaims } from './readiness.ts';
import type { EvidenceWarning } from './result.ts';

const DAY_MS = 86_400_000;
const MAX_WARNINGS = 100;

/** What freshness is judged by: the profile's rule, and the controls whose evidence never goes stale. */
export interface FreshnessRule {
  readonly maxAgeDays: number;
  readonly timeless: ReadonlySet<string>;
  /** False when the profile is not known here and the default rule stood in for it. */
  readonly fromProfile: boolean;
}

/**
 * The rule of the profile the credential cites. A profile this verifier cannot find (a tenant's
 * own, offline without it) is judged by the default, which every profile stating none also gets,
 * and the report says so; expiries need no profile at all.
 */
export async function freshnessRule(c: ReadinessClaims, issuer: string, profiles: ProfileSource | undefined): Promise<FreshnessRule> {
  const { id, version } = c.profile;
  let profile: Profile | undefined;
  if (typeof id === 'string' && typeof version === 'string') {
    try {
      profile = findBuiltinProfile(id, version) ?? (await profiles?.(issuer, id, version));
    } catch {
      // A warning is never worth failing a verification for: the default stands in.
      profile = undefined;
    }
  }
  return {
    maxAgeDays: evidenceMaxAgeDays(profile ?? {}),
    timeless: new Set(
      profile
        ? profileControls(profile)
            .filter((ctl) => !isTimeBound(ctl))
            .map((ctl) => ctl.id)
        : [],
    ),
    fromProfile: profile !== undefined,
  };
}

const instant = (v: unknown): number | undefined => (typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? Date.parse(v) : undefined);

/**
 * The evidence a disclosed, passing control relies on that is past its own expiry
 * (`evidence_expired`) or, for a time-bound control, older than the profile's rule
 * (`evidence_stale`) at `now`. A control the profile marks as not time-bound never goes stale,
 * but an expiry its tenant stated is still reported: for a time-bound control the validity
 * period already ends with it (issuance bounds it), so that warning is mostly for such
 * controls and for credentials issued before expiries bounded validity.
 * Undefined when no disclosed evidence carries an instant to judge: the report then says nothing,
 * as it did before evidence had instants. Only ever warnings: the issuer vouched for the
 * evidence when it signed, and the validity period (bounded by the expiries at issuance) is
 * what says how long that holds.
 */
export function evidenceWarnings(
  results: ReadinessClaims['results'],
  rule: FreshnessRule,
  now: Date,
  skewSeconds: number,
): EvidenceWarning[] | undefined {
  let judged = false;
  const warnings: EvidenceWarning[] = [];
  const at = now.getTime();
  const skew = skewSeconds * 1000;
  for (const [control, r] of Object.entries(results)) {
    if (r.status !== 'pass' || !Array.isArray(r.evidence)) continue;
    const timeless = rule.timeless.has(control);
    for (const e of r.evidence as Record<string, unknown>[]) {
      if (typeof e !== 'object' || e === null) continue;
      const observed = instant(e.observed_at);
      const expires = instant(e.expires_at);
      if (observed === undefined && expires === undefined) continue;
      judged = true;
      const item = {
        control,
        evidence: typeof e.uri === 'string' ? e.uri : '',
        ...(observed !== undefined ? { observedAt: e.observed_at as string } : {}),
        ...(expires !== undefined ? { expiresAt: e.expires_at as string } : {}),
      };
      if (expires !== undefined && expires <= at - skew) warnings.push({ code: 'evidence_expired', ...item });
      if (!timeless && observed !== undefined && observed + rule.maxAgeDays * DAY_MS < at - skew)
        warnings.push({ code: 'evidence_stale', ...item });
      if (warnings.length >= MAX_WARNINGS) return warnings;
    }
  }
  return judged ? warnings : undefined;
}
