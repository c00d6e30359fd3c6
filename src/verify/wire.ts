import { noticeToJson, type NoticeJson } from './notices.ts';
import type { Check, CredentialFormatName, EvidenceWarning, StatusValue, VerificationResult } from './result.ts';

/** A verification result as the API sends it, and as `launchproof verify --json` prints it. */
export interface VerificationResultJson {
  verified: boolean;
  format?: CredentialFormatName;
  credential_id?: string;
  issuer?: string;
  subject?: string;
  kid?: string;
  checks: Check[];
  claims?: Record<string, unknown>;
  status?: { value: StatusValue; lists: string[] };
  notice?: NoticeJson;
  readiness?: {
    profile: { id: string; version: string };
    stage: unknown;
    strict_gate_passed: unknown;
    recomputed: boolean;
  };
  warnings?: { code: EvidenceWarning['code']; control: string; evidence: string; observed_at?: string; expires_at?: string }[];
  /** Offline: where the issuer's transparency log holds the credential's issuance, and its status by the log alone. */
  log?: {
    origin: string;
    size: number;
    kid: string;
    index?: number;
    attestation?: string;
    status?: { value: StatusValue; index: number; at: string };
    status_at?: { value: StatusValue; index: number; at: string; asked: string };
  };
}

/** The wire form: the API's snake_case for the members the result holds in camelCase. */
export function verificationResultToJson(r: VerificationResult): VerificationResultJson {
  const { readiness, status: _status, notice, credentialId, log, warnings, ...rest } = r;
  return {
    ...rest,
    ...(credentialId ? { credential_id: credentialId } : {}),
    ...(notice ? { notice: noticeToJson(notice) } : {}),
    checks: [...r.checks],
    ...(r.status ? { status: { value: r.status.value, lists: [...r.status.lists] } } : {}),
    ...(readiness
      ? {
          readiness: {
            profile: readiness.profile as { id: string; version: string },
            stage: readiness.stage,
            strict_gate_passed: readiness.strictGatePassed,
            recomputed: readiness.recomputed,
          },
        }
      : {}),
    ...(warnings
      ? {
          warnings: warnings.map((w) => ({
            code: w.code,
            control: w.control,
            evidence: w.evidence,
            ...(w.observedAt !== undefined ? { observed_at: w.observedAt } : {}),
            ...(w.expiresAt !== undefined ? { expires_at: w.expiresAt } : {}),
          })),
        }
      : {}),
    ...(log
      ? {
          log: {
            origin: log.origin,
            size: log.size,
            kid: log.kid,
            ...(log.index !== undefined ? { index: log.index } : {}),
            ...(log.attestation !== undefined ? { attestation: log.attestation } : {}),
            ...(log.status ? { status: { ...log.status } } : {}),
            ...(log.statusAt ? { status_at: { ...log.statusAt } } : {}),
          },
        }
      : {}),
  };
}
