import { compactVerify, importJWK, type JWK } from 'jose';
import { base64urlDecode, base64urlEncode } from '../util/base64url.ts';
import { checkHeader, checkKeyFits } from './algorithms.ts';
import { jsonSegment } from './input.ts';
import { jsonDepth, MAX_JSON_DEPTH } from './json-limits.ts';
import { VerificationFailure } from './result.ts';

/*
 * SD-JWT (RFC 9901) disclosures, checked strictly: every disclosure presented must be referenced
 * by exactly one digest in the payload or in another disclosure. The libraries we measured drop an
 * unreferenced or duplicated disclosure silently; a verifier then reports claims the issuer never
 * signed for as absent instead of reporting the tampering, so this is written out here.
 */

const fail = (code: string, detail: string) => new VerificationFailure('disclosures', code, detail);

async function sha256Url(text: string): Promise<string> {
  return base64urlEncode(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))));
}

interface Disclosure {
  readonly encoded: string;
  readonly salt: string;
  readonly name?: string;
  readonly value: unknown;
  used: boolean;
}

function parseDisclosure(encoded: string): Disclosure {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(base64urlDecode(encoded)));
  } catch {
    throw fail('malformed_disclosure', 'a disclosure is not base64url-encoded JSON');
  }
  if (!Array.isArray(value) || (value.length !== 2 && value.length !== 3) || typeof value[0] !== 'string') {
    throw fail('malformed_disclosure', 'a disclosure is not [salt, value] or [salt, name, value]');
  }
  if (jsonDepth(value) > MAX_JSON_DEPTH) throw fail('malformed_disclosure', 'a disclosure nests too deep');
  if (value.length === 3) {
    const name = value[1];
    if (typeof name !== 'string' || name === '_sd' || name === '...')
      throw fail('malformed_disclosure', 'a disclosure names an invalid claim');
    return { encoded, salt: value[0] as string, name, value: value[2], used: false };
  }
  return { encoded, salt: value[0] as string, value: value[1], used: false };
}

/** Replaces digests by the claims they disclose, marking each disclosure used exactly once. */
function reveal(value: unknown, byDigest: Map<string, Disclosure>): unknown {
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const element of value) {
      const isRef =
        typeof element === 'object' && element !== null && !Array.isArray(element) && Object.keys(element).length === 1 && '...' in element;
      if (!isRef) {
        out.push(reveal(element, byDigest));
        continue;
      }
      const digest = (element as Record<string, unknown>)['...'];
      const d = typeof digest === 'string' ? byDigest.get(digest) : undefined;
      if (!d) continue; // a decoy, or an element the holder did not disclose
      if (d.name !== undefined) throw fail('malformed_disclosure', 'an array element disclosure carries a claim name');
      take(d);
      out.push(reveal(d.value, byDigest));
    }
    return out;
  }
  if (typeof value !== 'object' || value === null) return value;
  const source = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(source)) if (k !== '_sd') out[k] = reveal(v, byDigest);
  const digests = source._sd;
  if (digests === undefined) return out;
  if (!Array.isArray(digests) || digests.some((d) => typeof d !== 'string'))
    throw fail('malformed_payload', '_sd is not an array of digests');
  for (const digest of digests as string[]) {
    const d = byDigest.get(digest);
    if (!d) continue;
    if (d.name === undefined) throw fail('malformed_disclosure', 'an object property disclosure has no claim name');
    take(d);
    if (Object.hasOwn(out, d.name)) throw fail('claim_collision', `disclosed claim ${d.name} is already present`);
    out[d.name] = reveal(d.value, byDigest);
  }
  return out;
}

function take(d: Disclosure): void {
  if (d.used) throw fail('digest_referenced_twice', 'a disclosure is referenced by more than one digest');
  d.used = true;
}

/**
 * The issuer-signed payload with the presented disclosures applied: `_sd`, `_sd_alg` and
 * undisclosed array elements removed. Refuses an unknown `_sd_alg`, a malformed, duplicated or
 * unreferenced disclosure, and a disclosure referenced twice.
 */
export async function applyDisclosures(payload: Record<string, unknown>, disclosures: readonly string[]): Promise<Record<string, unknown>> {
  const alg = payload._sd_alg ?? 'sha-256';
  if (alg !== 'sha-256') throw fail('unsupported_digest', `_sd_alg ${JSON.stringify(alg)} is not sha-256`);
  const byDigest = new Map<string, Disclosure>();
  for (const encoded of disclosures) {
    const digest = await sha256Url(encoded);
    if (byDigest.has(digest)) throw fail('duplicate_disclosure', 'the same disclosure is presented twice');
    byDigest.set(digest, parseDisclosure(encoded));
  }
  const { _sd_alg: _ignored, ...rest } = payload;
  const claims = reveal(rest, byDigest) as Record<string, unknown>;
  const unreferenced = [...byDigest.values()].filter((d) => !d.used).length;
  if (unreferenced > 0)
    throw fail('unreferenced_disclosure', `${unreferenced} disclosure(s) are referenced by no digest: altered or foreign`);
  return claims;
}

export interface KeyBindingExpectation {
  readonly audience: string;
  readonly nonce: string;
  /** How old a key-binding JWT may be (seconds). */
  readonly maxAgeSeconds?: number;
}

const kbFail = (code: string, detail: string) => new VerificationFailure('key_binding', code, detail);

/**
 * Checks a key-binding JWT (RFC 9901 §4.3): typ kb+jwt, signed by the holder key in `cnf`, for
 * this audience and nonce, recent, and bound by `sd_hash` to exactly the SD-JWT presented.
 */
export async function checkKeyBinding(
  kbJwt: string,
  presentedSdJwt: string,
  cnf: unknown,
  expected: KeyBindingExpectation,
  now: Date,
  skewSeconds: number,
): Promise<void> {
  const parts = kbJwt.split('.');
  if (parts.length !== 3) throw kbFail('malformed', 'the key-binding JWT is not a compact JWS');
  const header = jsonSegment(parts[0]!, 'key-binding JWT header');
  const payload = jsonSegment(parts[1]!, 'key-binding JWT payload');
  if (header.typ !== 'kb+jwt') throw kbFail('wrong_type', `key-binding JWT typ is ${JSON.stringify(header.typ)}, not kb+jwt`);
  const holderJwk = (cnf as { jwk?: unknown } | undefined)?.jwk;
  if (typeof holderJwk !== 'object' || holderJwk === null) throw kbFail('no_holder_key', 'the credential names no holder key (cnf.jwk)');
  if ('d' in holderJwk) throw kbFail('no_holder_key', 'cnf.jwk is not a public key');
  const alg = checkHeader(header);
  checkKeyFits(alg, holderJwk as JWK);
  try {
    await compactVerify(kbJwt, await importJWK(holderJwk as JWK, alg), { algorithms: [alg] });
  } catch {
    throw kbFail('bad_signature', 'the key-binding JWT is not signed by the holder key');
  }
  if (payload.aud !== expected.audience) throw kbFail('wrong_audience', 'the key-binding JWT is for another audience');
  if (payload.nonce !== expected.nonce) throw kbFail('wrong_nonce', 'the key-binding JWT carries another nonce: a replay');
  const iat = payload.iat;
  const nowS = now.getTime() / 1000;
  if (typeof iat !== 'number' || iat > nowS + skewSeconds) throw kbFail('bad_iat', 'the key-binding JWT has no iat, or one in the future');
  if (iat < nowS - (expected.maxAgeSeconds ?? 300) - skewSeconds) throw kbFail('too_old', 'the key-binding JWT is too old');
  if (payload.sd_hash !== (await sha256Url(presentedSdJwt)))
    throw kbFail('sd_hash_mismatch', 'sd_hash does not cover the SD-JWT presented');
}

/**
 * A plain SD-JWT (any `typ`) checked against a key the caller already trusts: signature under the
 * allowlist, disclosures applied strictly, key binding when asked. The credential pipeline does
 * more (issuer lookup, validity, status); this is the part the SD-JWT specification itself defines.
 */
export async function verifySdJwt(
  compact: string,
  issuerJwk: JWK,
  options: { keyBinding?: KeyBindingExpectation; now: Date; skewSeconds: number },
): Promise<Record<string, unknown>> {
  const segments = compact.split('~');
  if (segments.length < 2) throw new VerificationFailure('format', 'malformed', 'an SD-JWT has at least one "~"');
  const [jws, ...rest] = segments;
  const kb = rest.at(-1)!;
  const disclosures = rest.slice(0, -1);
  const parts = jws!.split('.');
  if (parts.length !== 3) throw new VerificationFailure('format', 'malformed', 'the issuer-signed JWT is not a compact JWS');
  const header = jsonSegment(parts[0]!, 'issuer-signed JWT header');
  const alg = checkHeader(header);
  checkKeyFits(alg, issuerJwk);
  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(
      new TextDecoder().decode((await compactVerify(jws!, await importJWK(issuerJwk, alg), { algorithms: [alg] })).payload),
    ) as Record<string, unknown>;
  } catch {
    throw new VerificationFailure('signature', 'bad_signature', 'the signature does not verify with the issuer key');
  }
  const claims = await applyDisclosures(payload, disclosures);
  if (options.keyBinding) {
    if (kb === '') throw kbFail('key_binding_missing', 'holder binding was asked for and no key-binding JWT was presented');
    await checkKeyBinding(kb, `${segments.slice(0, -1).join('~')}~`, claims.cnf, options.keyBinding, options.now, options.skewSeconds);
  }
  return claims;
}
