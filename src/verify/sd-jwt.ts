import { compactVerify, importJWK, type JWK } from 'jose';
import { checkHeader, checkKeyFits } from './algorithms.ts';
import { sha256Url } from '../util/sha256.ts';
import { walkDisclosures } from './disclosures.ts';
import { jsonSegment } from './input.ts';
import { VerificationFailure } from './result.ts';

/**
 * The issuer-signed payload with the presented disclosures applied: `_sd`, `_sd_alg` and
 * undisclosed array elements removed. Strict (see disclosures.ts): a disclosure presented twice
 * or referenced by no digest is refused as tampering, never dropped.
 */
export async function applyDisclosures(payload: Record<string, unknown>, disclosures: readonly string[]): Promise<Record<string, unknown>> {
  return (await walkDisclosures(payload, disclosures, 'refuse')).claims;
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
