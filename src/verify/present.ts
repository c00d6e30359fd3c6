import { SignJWT, type JWK } from 'jose';
import { base64urlDecode, base64urlEncode } from '../util/base64url.ts';
import { jsonPointer } from '../util/json-pointer.ts';
import { VerificationFailure } from './result.ts';

/*
 * The holder's side of an SD-JWT VC: choose which disclosures to reveal, and bind the
 * presentation to a verifier with a key-binding JWT signed by the holder key.
 */

interface Located {
  readonly encoded: string;
  /** JSON pointer of the claim (or array element) this disclosure reveals. */
  readonly pointer: string;
}

async function digestOf(encoded: string): Promise<string> {
  return base64urlEncode(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(encoded))));
}

function decodeDisclosure(encoded: string): unknown[] {
  try {
    const value = JSON.parse(new TextDecoder().decode(base64urlDecode(encoded))) as unknown;
    if (Array.isArray(value)) return value;
  } catch {
    // fall through
  }
  throw new VerificationFailure('disclosures', 'malformed_disclosure', 'a disclosure is not a base64url JSON array');
}

/** Where each disclosure sits in the claims, walking the payload and the disclosures it reaches. */
async function locate(payload: unknown, disclosures: readonly string[]): Promise<Located[]> {
  const byDigest = new Map<string, string>();
  for (const d of disclosures) byDigest.set(await digestOf(d), d);
  const found: Located[] = [];
  const walk = (value: unknown, path: (string | number)[]): void => {
    if (Array.isArray(value)) {
      value.forEach((element, i) => {
        const ref =
          typeof element === 'object' && element !== null && Object.keys(element).length === 1
            ? (element as Record<string, unknown>)['...']
            : undefined;
        const encoded = typeof ref === 'string' ? byDigest.get(ref) : undefined;
        if (encoded) {
          found.push({ encoded, pointer: jsonPointer([...path, i]) });
          walk(decodeDisclosure(encoded)[1], [...path, i]);
        } else walk(element, [...path, i]);
      });
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    const object = value as Record<string, unknown>;
    for (const [k, v] of Object.entries(object)) if (k !== '_sd') walk(v, [...path, k]);
    for (const digest of Array.isArray(object._sd) ? object._sd : []) {
      const encoded = typeof digest === 'string' ? byDigest.get(digest) : undefined;
      if (!encoded) continue;
      const [, name, claim] = decodeDisclosure(encoded);
      found.push({ encoded, pointer: jsonPointer([...path, String(name)]) });
      walk(claim, [...path, String(name)]);
    }
  };
  walk(payload, []);
  return found;
}

function splitIssued(sdJwt: string) {
  const segments = sdJwt.trim().split('~');
  const jws = segments[0]!;
  if (segments.length < 2 || jws.split('.').length !== 3) throw new VerificationFailure('format', 'malformed', 'not an SD-JWT');
  let payload: unknown;
  try {
    payload = JSON.parse(new TextDecoder().decode(base64urlDecode(jws.split('.')[1]!)));
  } catch {
    throw new VerificationFailure('format', 'malformed', 'the issuer-signed JWT payload is not JSON');
  }
  // A key-binding JWT already present belongs to an earlier presentation: it is dropped.
  return { jws, payload, disclosures: segments.slice(1, -1).filter((d) => d !== '') };
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
  const { jws, payload, disclosures } = splitIssued(sdJwt);
  const located = await locate(payload, disclosures);
  const unknown = reveal.filter((p) => !located.some((l) => l.pointer === p));
  if (unknown.length > 0)
    throw new VerificationFailure('disclosures', 'not_disclosable', `not a disclosable claim: ${unknown.slice(0, 5).join(', ')}`);
  const within = (inner: string, outer: string) => inner === outer || inner.startsWith(`${outer}/`);
  const kept = located.filter((l) => reveal.some((p) => within(p, l.pointer) || within(l.pointer, p)));
  return `${[jws, ...kept.map((l) => l.encoded)].join('~')}~`;
}

/** Appends a key-binding JWT (RFC 9901 §4.3) for this verifier, signed by the holder's private key. */
export async function bindToVerifier(
  presentation: string,
  holder: { key: CryptoKey | JWK; alg: 'ES256' | 'ES384' | 'EdDSA' },
  verifier: { audience: string; nonce: string },
  now: Date,
): Promise<string> {
  const sdHash = base64urlEncode(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(presentation))));
  const kb = await new SignJWT({ aud: verifier.audience, nonce: verifier.nonce, sd_hash: sdHash })
    .setProtectedHeader({ alg: holder.alg, typ: 'kb+jwt' })
    .setIssuedAt(Math.floor(now.getTime() / 1000))
    .sign(holder.key);
  return `${presentation}${kb}`;
}
