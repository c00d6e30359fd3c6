/**
 * What a readiness attestation says, independent of how it is secured. Each credential format
 * renders this one model, so the three formats of one issuance can never disagree.
 */
export interface EvidenceItem {
  readonly uri: string;
  readonly digest: string;
  readonly mediaType: string;
  readonly collectedAt: string;
  readonly collectedBy: string;
}

export interface ControlResult {
  readonly control: string;
  readonly status: 'pass' | 'fail' | 'blocked' | 'partial' | 'not_applicable';
  readonly note?: string;
  readonly evidence: readonly EvidenceItem[];
}

export interface AttestationVerdict {
  readonly strictGatePassed: boolean;
  readonly stage: string | null;
  readonly stagesReached: readonly string[];
  readonly blockers: readonly { control: string; status: string; stage: string }[];
  readonly exclusions: readonly { control: string; reason: string }[];
  readonly acceptance: string | null;
}

export interface AttestationContent {
  /** `urn:uuid:...`: the credential id, also the `jti`. */
  readonly id: string;
  readonly subject: {
    readonly id?: string;
    readonly organisation: string;
    readonly product: string;
    readonly productionUrl?: string;
  };
  readonly profile: { readonly id: string; readonly version: string; readonly digest: string };
  readonly assessmentId: string;
  readonly verdict: AttestationVerdict;
  readonly results: readonly ControlResult[];
  readonly validFrom: Date;
  readonly validUntil: Date;
  readonly issuedAt: Date;
  /** Holder key the credential is bound to (SD-JWT VC `cnf`); a public JWK. */
  readonly holderJwk?: Record<string, unknown>;
  /** Holder DID, when the holder was named by DID rather than by key. */
  readonly holderDid?: string;
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
    blockers: c.verdict.blockers.map((b) => ({ control: b.control, status: b.status, stage: b.stage })),
    exclusions: c.verdict.exclusions.map((e) => ({ control: e.control, reason: e.reason })),
    acceptance: c.verdict.acceptance,
  };
}

export function evidenceClaims(e: EvidenceItem) {
  return { uri: e.uri, digest: e.digest, media_type: e.mediaType, collected_at: e.collectedAt, collected_by: e.collectedBy };
}

export function resultClaims(r: ControlResult) {
  return { status: r.status, ...(r.note ? { note: r.note } : {}), evidence: r.evidence.map(evidenceClaims) };
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
