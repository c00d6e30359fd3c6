import { noticeToJson, type NoticeJson } from './notices.ts';
import type { Check, CredentialFormatName, StatusValue, VerificationResult } from './result.ts';

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
}

/** The wire form: the API's snake_case for the members the result holds in camelCase. */
export function verificationResultToJson(r: VerificationResult): VerificationResultJson {
  const { readiness, status: _status, notice, credentialId, ...rest } = r;
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
  };
}
