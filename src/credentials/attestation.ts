import type { Assessment, ControlResult, Evidence } from '../readiness/assessment.ts';
import type { Verdict } from '../readiness/verdict.ts';
import type { StatusReference } from './status-reference.ts';

/**
 * What a readiness attestation says, independent of how it is secured: the assessment and
 * verdict exactly as the readiness module holds them, plus what issuance adds. Each credential
 * format renders this one model, so the formats of one issuance can never disagree.
 */
export interface AttestationContent {
  /** `urn:uuid:...`: the credential id, also the `jti`. */
  readonly id: string;
  readonly subject: Assessment['subject'];
  readonly profile: Verdict['profile'];
  readonly assessmentId: string;
  readonly verdict: Pick<Verdict, 'strictGatePassed' | 'stage' | 'stagesReached' | 'blockers' | 'exclusions' | 'acceptance'>;
  readonly results: readonly ControlResult[];
  readonly validFrom: Date;
  readonly validUntil: Date;
  readonly issuedAt: Date;
  /** Holder key the credential is bound to (SD-JWT VC `cnf`); a public JWK. */
  readonly holderJwk?: Record<string, unknown>;
  /** Holder DID, when the holder was named by DID rather than by key. */
  readonly holderDid?: string;
  /** The credential's status-list slot; every credential issued since status lists exist has one. */
  readonly status?: StatusReference;
}

export const ATTESTATION_TYPE = 'LaunchReadinessAttestation';

/** The claims every format carries about the subject, in the wire's snake_case. */
export function subjectClaims(c: AttestationContent) {
  return {
    organisation: c.subject.organisation,
    product: c.subject.product,
    ...(c.subject.productionUrl ? { production_url: c.subject.productionUrl } : {}),
  };
}

export function verdictClaims(c: AttestationContent) {
  return {
    strict_gate_passed: c.verdict.strictGatePassed,
    stage: c.verdict.stage,
    stages_reached: [...c.verdict.stagesReached],
    // The profile's explanation of each blocker stays in the profile; the credential names the control.
    blockers: c.verdict.blockers.map((b) => ({ control: b.control, status: b.status, stage: b.stage })),
    exclusions: c.verdict.exclusions.map((e) => ({ control: e.control, reason: e.reason })),
    acceptance: c.verdict.acceptance,
  };
}

export function evidenceClaims(e: Evidence) {
  return {
    uri: e.uri,
    digest: e.digestSRI,
    media_type: e.mediaType,
    collected_at: e.collectedAt,
    collected_by: e.collectedBy,
    // Carried so an offline verifier can judge freshness itself; absent when the tenant gave none.
    ...(e.observedAt !== undefined ? { observed_at: e.observedAt } : {}),
    ...(e.expiresAt !== undefined ? { expires_at: e.expiresAt } : {}),
  };
}

export function resultClaims(r: ControlResult) {
  return { status: r.status, ...(r.note ? { note: r.note } : {}), evidence: (r.evidence ?? []).map(evidenceClaims) };
}

/** Every control's result, keyed by control id: each one is what an SD-JWT VC discloses on its own. */
export function resultsClaims(c: AttestationContent) {
  return Object.fromEntries(c.results.map((r) => [r.control, resultClaims(r)]));
}

/** The `credentialSubject` body both VC Data Model formats carry (1.1 keeps the subject id in `sub`). */
export function credentialSubjectClaims(c: AttestationContent) {
  return {
    ...subjectClaims(c),
    profile: { ...c.profile },
    assessment: c.assessmentId,
    verdict: verdictClaims(c),
    results: resultsClaims(c),
  };
}

export const seconds = (d: Date) => Math.floor(d.getTime() / 1000);
