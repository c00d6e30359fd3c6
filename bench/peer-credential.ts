/**
 * What the peer issuer signs for each format: the credential a user writing their own issuer
 * with jose would produce from the same assessment (no readiness evaluation, no status list;
 * for dc+sd-jwt, one salted disclosure per control result). Shared by the peer server and the
 * in-process jose SignJWT baseline, so both sign payloads of the same shape and size.
 */
import { base64url, SignJWT, type CryptoKey } from 'jose';

export const FORMATS = ['vc+jwt', 'jwt_vc_json', 'dc+sd-jwt'] as const;
export type Format = (typeof FORMATS)[number];

export interface Unsigned {
  readonly typ: string;
  readonly payload: Record<string, unknown>;
  /** SD-JWT disclosures, appended after the signed JWT. */
  readonly disclosures: readonly string[];
}

export interface AssessmentLike {
  readonly results?: readonly { readonly control?: string }[];
  readonly [claim: string]: unknown;
}

const YEAR_S = 365 * 86_400;

async function disclose(name: string, value: unknown): Promise<{ disclosure: string; digest: string }> {
  const salt = base64url.encode(crypto.getRandomValues(new Uint8Array(16)));
  const disclosure = base64url.encode(JSON.stringify([salt, name, value]));
  const digest = base64url.encode(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(disclosure))));
  return { disclosure, digest };
}

export async function unsignedCredential(format: Format, issuer: string, assessment: AssessmentLike, now: Date): Promise<Unsigned> {
  const iat = Math.floor(now.getTime() / 1000);
  const id = `urn:uuid:${crypto.randomUUID()}`;
  if (format === 'vc+jwt') {
    const payload = {
      '@context': ['https://www.w3.org/ns/credentials/v2'],
      id,
      type: ['VerifiableCredential', 'LaunchReadinessCredential'],
      issuer,
      validFrom: now.toISOString(),
      validUntil: new Date((iat + YEAR_S) * 1000).toISOString(),
      credentialSubject: { assessment },
    };
    return { typ: 'vc+jwt', payload, disclosures: [] };
  }
  if (format === 'jwt_vc_json') {
    const vc = {
      '@context': ['https://www.w3.org/2018/credentials/v1'],
      type: ['VerifiableCredential', 'LaunchReadinessCredential'],
      credentialSubject: { assessment },
    };
    return { typ: 'JWT', payload: { iss: issuer, jti: id, nbf: iat, iat, exp: iat + YEAR_S, vc }, disclosures: [] };
  }
  const { results = [], ...rest } = assessment;
  const parts = await Promise.all(results.map((r, i) => disclose(r.control ?? `result-${i}`, r)));
  const payload = {
    iss: issuer,
    iat,
    exp: iat + YEAR_S,
    vct: 'urn:bench:launch-readiness',
    _sd_alg: 'sha-256',
    _sd: parts.map((p) => p.digest).sort(),
    ...rest,
  };
  return { typ: 'dc+sd-jwt', payload, disclosures: parts.map((p) => p.disclosure) };
}

export async function sign(unsigned: Unsigned, key: CryptoKey, kid: string): Promise<string> {
  const jwt = await new SignJWT(unsigned.payload).setProtectedHeader({ alg: 'ES256', typ: unsigned.typ, kid }).sign(key);
  return unsigned.typ === 'dc+sd-jwt' ? `${jwt}~${unsigned.disclosures.map((d) => `${d}~`).join('')}` : jwt;
}
