import type { ReportInput } from '../pages/report.ts';
import { findBuiltinProfile, type Profile } from '../readiness/index.ts';
import type { VerificationResult } from '../verify/result.ts';
import type { TrustBundle } from '../verify/trust-bundle.ts';

/** The profile the credential cites, from the issuer's bundle (its own profiles) or the built-ins. */
function citedProfile(result: VerificationResult, bundle: TrustBundle | undefined): Profile | undefined {
  const cited = result.readiness?.profile as { id?: unknown; version?: unknown } | undefined;
  if (typeof cited?.id !== 'string' || typeof cited.version !== 'string') return undefined;
  const { id, version } = cited;
  return bundle?.profiles.find((p) => p.id === id && p.version === version)?.profile ?? findBuiltinProfile(id, version);
}

/** What the page renders the report from: the same input the server fills for its own report. */
export function reportInput(
  result: VerificationResult,
  judgedAt: Date,
  where: ReportInput['where'],
  bundle?: TrustBundle,
  bundleFacts?: ReportInput['bundle'],
): ReportInput {
  const issuerName = bundle?.issuer.name;
  const profile = citedProfile(result, bundle);
  return {
    result,
    judgedAt,
    where,
    ...(issuerName ? { issuerName } : {}),
    ...(profile ? { profile } : {}),
    ...(bundleFacts ? { bundle: bundleFacts } : {}),
  };
}
