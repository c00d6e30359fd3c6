import type { ReportInput } from '../pages/report.ts';
import { reportFacts } from '../pages/report-facts.ts';
import { findBuiltinProfile, type Profile } from '../readiness/index.ts';
import type { VerificationResult } from '../verify/result.ts';
import type { TrustBundle } from '../verify/trust-bundle.ts';

/**
 * The profile the credential cites, read from its claims as the server reads them (so a credential
 * that failed before its readiness check still renders alike), from the built-ins or the issuer's bundle.
 */
function citedProfile(result: VerificationResult, bundle: TrustBundle | undefined): Profile | undefined {
  const cited = reportFacts(result).profile;
  if (typeof cited.id !== 'string' || typeof cited.version !== 'string') return undefined;
  const { id, version } = cited as { id: string; version: string };
  return findBuiltinProfile(id, version) ?? bundle?.profiles.find((p) => p.id === id && p.version === version)?.profile;
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
