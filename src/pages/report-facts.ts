import type { VerificationResult } from '../verify/result.ts';
import { instantOf } from './dates.ts';
import { record } from './html.ts';

/** The readiness content of a credential, wherever its format keeps it; every member as found (untrusted). */
export interface ReportFacts {
  readonly subject: Record<string, unknown>;
  readonly profile: Record<string, unknown>;
  readonly verdict: Record<string, unknown>;
  readonly results: Record<string, unknown>;
  readonly hasReadiness: boolean;
  readonly issuedAt?: Date;
  readonly validFrom?: Date;
  readonly validUntil?: Date;
}

const first = (v: unknown) => record(Array.isArray(v) ? v[0] : v);
const firstDate = (...values: unknown[]) => values.map(instantOf).find((d) => d !== undefined);

/**
 * SD-JWT VC keeps `subject`, `profile`, `verdict` and `results` at the top level; VC Data Model
 * 2.0 keeps them in `credentialSubject`; VC Data Model 1.1 in `vc.credentialSubject`.
 */
export function reportFacts(result: VerificationResult): ReportFacts {
  const claims = record(result.claims);
  const vc = record(claims.vc);
  let top: Record<string, unknown>;
  let subject: Record<string, unknown>;
  if ('verdict' in claims || 'subject' in claims) {
    top = claims;
    subject = record(claims.subject);
  } else {
    top = first(claims.credentialSubject ?? vc.credentialSubject);
    subject = top;
  }
  return {
    subject,
    profile: record(top.profile),
    verdict: record(top.verdict),
    results: record(top.results),
    hasReadiness: 'verdict' in top || 'profile' in top,
    ...optional('issuedAt', firstDate(claims.iat, claims.validFrom, vc.issuanceDate, claims.nbf)),
    ...optional('validFrom', firstDate(claims.validFrom, claims.nbf)),
    ...optional('validUntil', firstDate(claims.validUntil, claims.exp)),
  };
}

const optional = <K extends string>(key: K, value: Date | undefined) => (value ? ({ [key]: value } as Record<K, Date>) : {});
