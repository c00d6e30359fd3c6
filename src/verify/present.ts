import { SignJWT, type JWK } from 'jose';
import { sha256Url } from '../util/sha256.ts';
import { walkDisclosures, type Disclosed } from './disclosures.ts';
import { jsonSegment } from './input.ts';
import { VerificationFailure } from './result.ts';

/*
 * The holder's side of an SD-JWT VC: choose which disclosures to reveal, and bind the
 * presentation to a verifier with a key-binding JWT signed by the holder key.
 */

function splitIssued(sdJwt: string) {
  const segments = sdJwt.trim().split('~');
  const jws = segments[0]!;
  if (segments.length < 2 || jws.split('.').length !== 3) throw new VerificationFailure('format', 'malformed', 'not an SD-JWT');
  // The verifier's own reading: base64url JSON object, refused when too deep to walk.
  const payload = jsonSegment(jws.split('.')[1]!, 'issuer-signed JWT payload');
  // A key-binding JWT already present belongs to an earlier presentation: it is dropped.
  return { jws, payload, disclosures: segments.slice(1, -1).filter((d) => d !== '') };
}

/** Where each disclosure sits in the claims: the verifier's walk, leaving out what the payload does not reach. */
async function locate(payload: Record<string, unknown>, disclosures: readonly string[]): Promise<readonly Disclosed[]> {
  return (await walkDisclosures(payload, disclosures, 'drop')).disclosed;
}

/** Every claim the holder may choose to reveal, as JSON pointers. */
export async function disclosablePointers(sdJwt: string): Promise<string[]> {
  const { payload, disclosures } = splitIssued(sdJwt);
  return (await locate(payload, disclosures)).map((l) => l.pointer);
}

/**
 * An SD-JWT revealing exactly the claims named (JSON pointers), with whatever encloses them (a
 * nested claim is unreadable without its parent) and everything inside them. Naming a claim that
 * is not disclosable is refused rather than silently ignored.
 */
export async function selectDisclosures(sdJwt: string, reveal: readonly string[]): Promise<string> {
  return (await preparePresentation(sdJwt, reveal)).presentation;
}

/**
 * Both of the above from one walk: what the holder could reveal, and the presentation revealing
 * `reveal`. The disclosures are digested and walked once, not once per answer.
 */
export async function preparePresentation(
  sdJwt: string,
  reveal: readonly string[],
): Promise<{ presentation: string; disclosable: string[] }> {
  const { jws, payload, disclosures } = splitIssued(sdJwt);
  const located = await locate(payload, disclosures);
  const disclosable = located.map((l) => l.pointer);
  const known = new Set(disclosable);
  const unknown = reveal.filter((p) => !known.has(p));
  if (unknown.length > 0)
    throw new VerificationFailure('disclosures', 'not_disclosable', `not a disclosable claim: ${unknown.slice(0, 5).join(', ')}`);
  const within = (inner: string, outer: string) => inner === outer || inner.startsWith(`${outer}/`);
  const kept = located.filter((l) => reveal.some((p) => within(p, l.pointer) || within(l.pointer, p)));
  return { presentation: `${[jws, ...kept.map((l) => l.encoded)].join('~')}~`, disclosable };
}

/** Appends a key-binding JWT (RFC 9901 §4.3) for this verifier, signed by the holder's private key. */
export async function bindToVerifier(
  presentation: string,
  holder: { key: CryptoKey | JWK; alg: 'ES256' | 'ES384' | 'EdDSA' },
  verifier: { audience: string; nonce: string },
  now: Date,
): Promise<string> {
  const kb = await new SignJWT({ aud: verifier.audience, nonce: verifier.nonce, sd_hash: await sha256Url(presentation) })
    .setProtectedHeader({ alg: holder.alg, typ: 'kb+jwt' })
    .setIssuedAt(Math.floor(now.getTime() / 1000))
    .sign(holder.key);
  return `${presentation}${kb}`;
}
