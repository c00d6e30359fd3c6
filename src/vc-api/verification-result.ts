import type { Check, CheckName, VerificationResult } from '../verify/result.ts';

/** A VC-API / VCDM 2.0 ProblemDetails entry (RFC 9457 members), one per failed or qualified check. */
export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly detail?: string;
}

/** The VC-API VerificationResult: `checks` names what passed; `errors` and `warnings` say what did not. */
export interface VcApiVerification {
  readonly verified: boolean;
  readonly checks: CheckName[];
  readonly warnings: ProblemDetails[];
  readonly errors: ProblemDetails[];
}

// VCDM 2.0 §7.1 (Verification) defines these problem types; a failure none of them names gets ours.
const VCDM = 'https://www.w3.org/TR/vc-data-model#';
const SPEC_TYPES: Partial<Record<CheckName, string>> = {
  format: `${VCDM}PARSING_ERROR`,
  algorithm: `${VCDM}CRYPTOGRAPHIC_SECURITY_ERROR`,
  issuer_key: `${VCDM}CRYPTOGRAPHIC_SECURITY_ERROR`,
  signature: `${VCDM}CRYPTOGRAPHIC_SECURITY_ERROR`,
};

/**
 * Passed checks whose code still qualifies them (no status entry to check, a verdict not
 * recomputed, a key-binding JWT not checked): true, but a verifier deciding on them should know.
 */
const QUALIFIED = new Set([
  'no_status',
  'not_recomputed',
  'not_checked',
  'not_presented',
  'no_log',
  'issued_before_log',
  'status_in_flight',
  'log_not_carried',
  'evidence_stale',
  'evidence_expired',
]);

const problemOf = (c: Check): ProblemDetails => ({
  type: SPEC_TYPES[c.name] ?? `urn:launchproof:verification:${c.code}`,
  title: `${c.name}: ${c.code}`,
  ...(c.detail ? { detail: c.detail } : {}),
});

export function vcApiVerification(result: VerificationResult): VcApiVerification {
  return {
    verified: result.verified,
    checks: result.checks.filter((c) => c.ok).map((c) => c.name),
    warnings: result.checks.filter((c) => c.ok && QUALIFIED.has(c.code)).map(problemOf),
    errors: result.checks.filter((c) => !c.ok).map(problemOf),
  };
}
