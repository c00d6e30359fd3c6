import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { expect } from 'vitest';
import type { Harness } from '../support/harness.ts';
import { readinessAssessment } from '../http/helpers.ts';

export const ISSUER = 'https://issuer.test/t/acme';
export const PRE_AUTH = 'urn:ietf:params:oauth:grant-type:pre-authorized_code';

export interface OfferResponse {
  id: string;
  credential_offer: { grants: Record<string, { 'pre-authorized_code': string }> };
  credential_offer_uri: string;
  offer_uri: string;
  offer_uri_by_reference: string;
  tx_code: string | null;
  qr_svg: string;
}

/** A tenant `acme` with one stored assessment; answers its id. */
export async function tenantWithAssessment(h: Harness): Promise<string> {
  expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id: 'acme', name: 'Acme' } })).status).toBe(201);
  const res = await h.request('POST', '/v1/t/acme/assessments', { token: h.adminToken, body: readinessAssessment() });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

export async function offer(h: Harness, body: Record<string, unknown>): Promise<OfferResponse> {
  const res = await h.request('POST', '/v1/t/acme/offers', { token: h.adminToken, body });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as OfferResponse;
}

export const codeOf = (o: OfferResponse) => o.credential_offer.grants[PRE_AUTH]!['pre-authorized_code'];

export function tokenRequest(h: Harness, form: Record<string, string>): Promise<Response> {
  return h.request('POST', '/t/acme/token', {
    body: new URLSearchParams(form).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
}

export async function accessToken(h: Harness, o: OfferResponse): Promise<string> {
  const res = await tokenRequest(h, { grant_type: PRE_AUTH, 'pre-authorized_code': codeOf(o), tx_code: o.tx_code! });
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

export async function nonce(h: Harness): Promise<string> {
  const res = await h.request('POST', '/t/acme/nonce');
  expect(res.status).toBe(200);
  return ((await res.json()) as { c_nonce: string }).c_nonce;
}

export type HolderKey = { privateKey: CryptoKey; jwk: JWK; alg: string };

export async function holderKey(alg: 'ES256' | 'ES384' | 'EdDSA' = 'ES256'): Promise<HolderKey> {
  const pair = await generateKeyPair(alg, { extractable: true });
  return { privateKey: pair.privateKey as CryptoKey, jwk: await exportJWK(pair.publicKey), alg };
}

/** A proof JWT built by hand with jose, each part overridable to make a bad one. */
export async function proofJwt(
  h: Harness,
  key: HolderKey,
  c_nonce: string,
  over: { header?: Record<string, unknown>; payload?: Record<string, unknown>; signWith?: CryptoKey } = {},
): Promise<string> {
  return new SignJWT({ aud: ISSUER, iat: Math.floor(h.clock().getTime() / 1000), nonce: c_nonce, ...over.payload })
    .setProtectedHeader({ alg: key.alg, typ: 'openid4vci-proof+jwt', jwk: key.jwk, ...over.header })
    .sign(over.signWith ?? key.privateKey);
}

export function credentialRequest(h: Harness, token: string | undefined, body: unknown): Promise<Response> {
  return h.request('POST', '/t/acme/credential', { body, ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}) });
}

/** Reads an OAuth error response (RFC 6749 §5.2) and checks its shape. */
export async function expectOAuthError(
  res: Response,
  status: number,
  error: string,
): Promise<{ error: string; error_description?: string }> {
  const text = await res.text();
  expect(res.status, `${status} ${error} expected, got ${res.status}: ${text}`).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(res.headers.get('cache-control')).toBe('no-store');
  const body = JSON.parse(text) as { error: string; error_description?: string };
  expect(body.error).toBe(error);
  expect(Object.keys(body).filter((k) => k !== 'error' && k !== 'error_description')).toEqual([]);
  return body;
}
