import type { LogFinding } from './log-check.ts';
import type { AttestationNotice } from './notices.ts';

/**
 * What a verification reports. Every step is a named check with a stable reason code, so a
 * caller (or an auditor reading a saved report) sees which step failed and why, not just "no".
 */

/** The steps, in the order the pipeline runs them. */
export type CheckName =
  | 'format'
  | 'algorithm'
  | 'issuer_trusted'
  | 'issuer_key'
  | 'signature'
  | 'validity_period'
  | 'disclosures'
  | 'key_binding'
  | 'status'
  | 'readiness'
  /** Offline, with a trust bundle: the credential's issuance is in the issuer's transparency log, whose history ends in the listed status. */
  | 'log'
  /**
   * The age and expiry of the evidence passing controls rely on (issue 14). Always passes: its
   * code (`evidence_expired`, else `evidence_stale`) and `warnings` say what a buyer should know.
   */
  | 'evidence';

export interface Check {
  readonly name: CheckName;
  readonly ok: boolean;
  /** Stable and machine-readable: `ok` when it passed, otherwise what failed (e.g. `expired`, `revoked`). */
  readonly code: string;
  /** For people; never a secret, never input echoed at length. */
  readonly detail?: string;
}

export type CredentialFormatName = 'vc+jwt' | 'jwt_vc_json' | 'dc+sd-jwt';
export type StatusValue = 'valid' | 'revoked' | 'suspended';

export interface VerificationResult {
  readonly verified: boolean;
  readonly format?: CredentialFormatName;
  /** The credential's own id (`id` or `jti`, `urn:uuid:...` for launchproof's). */
  readonly credentialId?: string;
  readonly issuer?: string;
  readonly subject?: string;
  readonly kid?: string;
  readonly checks: readonly Check[];
  /** The claims as disclosed (SD-JWT: after disclosures are applied; VC formats: the credential). */
  readonly claims?: Record<string, unknown>;
  readonly status?: { readonly value: StatusValue; readonly lists: readonly string[] };
  /** What the issuer publishes about the credential's attestation: since when, why, and what replaced it. */
  readonly notice?: AttestationNotice;
  readonly readiness?: {
    readonly profile: unknown;
    readonly stage: unknown;
    readonly strictGatePassed: unknown;
    readonly recomputed: boolean;
  };
  /** What the trust bundle's transparency log says of the credential (offline only). */
  readonly log?: LogFinding;
  /** Things a verifier should know that do not fail the credential: evidence gone stale or expired. */
  readonly warnings?: readonly EvidenceWarning[];
}

/** One piece of evidence that has aged past the profile's rule, or past its own expiry, when judged. */
export interface EvidenceWarning {
  readonly code: 'evidence_stale' | 'evidence_expired';
  readonly control: string;
  /** The evidence's uri. */
  readonly evidence: string;
  readonly observedAt?: string;
  readonly expiresAt?: string;
}

/** A step that cannot go on: the pipeline records it as a failed check and stops there. */
export class VerificationFailure extends Error {
  constructor(
    readonly check: CheckName,
    readonly code: string,
    detail: string,
  ) {
    super(detail);
    this.name = 'VerificationFailure';
  }
}
