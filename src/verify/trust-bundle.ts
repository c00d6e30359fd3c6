import { calculateJwkThumbprint, flattenedVerify, importJWK, type JWK } from 'jose';
import { z } from 'zod';
import { profileSchema, type Profile } from '../readiness/index.ts';
import { base64urlDecode } from '../util/base64url.ts';
import { checkHeader, checkKeyFits } from './algorithms.ts';
import { jsonDepth, MAX_JSON_DEPTH } from './json-limits.ts';
import { VerificationFailure } from './result.ts';

/**
 * A trust bundle: everything needed to verify one issuer's credentials with no network, signed
 * by the issuer as a JWS in the flattened JSON serialisation (RFC 7515 §7.2.2). JSON rather than
 * compact, so the file stays a JSON document an auditor can open, and the signed bytes are still
 * exactly the payload the issuer wrote (nothing is re-serialised before checking).
 */
export const TRUST_BUNDLE_TYPE = 'LaunchproofTrustBundle';
export const TRUST_BUNDLE_VERSION = 1;
/** The `typ` of the JWS header: a bundle's signature can never be mistaken for a credential's. */
export const TRUST_BUNDLE_TYP = 'launchproof-trust-bundle+json';
/** RFC 7515 §9.2.1: the media type of a JWS in a JSON serialisation. */
export const TRUST_BUNDLE_MEDIA_TYPE = 'application/jose+json';
/** Far above a real bundle (keys, a few status lists of about 40 KiB each, profiles); a bound on what a file can make us parse. */
export const MAX_TRUST_BUNDLE_CHARS = 32 * 1024 * 1024;

const instant = z.iso.datetime({ offset: true });
const nullableInstant = instant.nullable();

const bundleKeySchema = z.object({
  kid: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  alg: z.string(),
  public_jwk: z.record(z.string(), z.unknown()),
  created_at: instant,
  activated_at: nullableInstant,
  retired_at: nullableInstant,
  publish_until: nullableInstant,
  revoked_at: nullableInstant,
  revocation_reason: z.string().nullable(),
});

const bundleStatusListSchema = z.object({
  id: z.string(),
  token_url: z.string(),
  token: z.string(),
  revocation_url: z.string(),
  revocation: z.string(),
  suspension_url: z.string(),
  suspension: z.string(),
});

const bundleProfileSchema = z.object({
  origin: z.enum(['builtin', 'tenant']),
  id: z.string(),
  version: z.string(),
  digest: z.string(),
  // Kept as written: its digest is over these exact members, so it is checked, never rebuilt.
  profile: z.custom<Profile>((p) => profileSchema.safeParse(p).success, 'not a readiness profile'),
});

const bundleLogKeySchema = z.object({
  /** RFC 7638 thumbprint of `public_jwk`. */
  kid: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  public_jwk: z.record(z.string(), z.unknown()),
  /** The C2SP verifier key text (`<origin>+<key ID>+<key>`) a witness or an auditor is given. */
  verifier_key: z.string().max(1000),
  created_at: instant,
  retired_at: nullableInstant,
});

/**
 * The tenant's transparency log as of the bundle (docs/transparency-log.md, Offline): its latest
 * signed checkpoint, every log key it has had, and every sequenced entry 0..size-1 as its exact
 * text. The entries are the tree: an auditor recomputes the checkpoint's root from them, finds a
 * credential's issuance entry, and replays an attestation's status changes, with nothing else.
 * Optional, and additive to version 1: bundles made before the log still open and verify as before.
 */
const bundleLogSchema = z.object({
  origin: z.string().min(1).max(500),
  /** The C2SP signed note of the checkpoint, exactly as the log served it. */
  checkpoint: z.string().max(64 * 1024),
  keys: z.array(bundleLogKeySchema).min(1),
  /**
   * Entry `i` is the text of the log's entry at index i (its bytes are that text's UTF-8). Absent
   * when the log holds more entries than a bundle carries (MAX_BUNDLE_LOG_ENTRIES, bundle-log.ts):
   * the checkpoint and keys are still there, and the log's tiles or an audit export prove the rest.
   */
  entries: z.array(z.string().max(0xffff)).optional(),
});

const trustBundleSchema = z.object({
  type: z.literal(TRUST_BUNDLE_TYPE),
  version: z.literal(TRUST_BUNDLE_VERSION),
  generated_at: instant,
  issuer: z.object({
    tenant: z.string(),
    /** The issuing organisation's name as the issuer registered it: signed, so a page may show it. */
    name: z.string().max(200).optional(),
    did: z.string().startsWith('did:'),
    issuer_url: z.string().regex(/^https?:\/\//, 'an http(s) URL'),
  }),
  did_document: z.record(z.string(), z.unknown()),
  jwt_vc_issuer: z.record(z.string(), z.unknown()),
  keys: z.array(bundleKeySchema).min(1),
  status_lists: z.array(bundleStatusListSchema),
  profiles: z.array(bundleProfileSchema),
  log: bundleLogSchema.optional(),
});

export type TrustBundle = z.infer<typeof trustBundleSchema>;
export type TrustBundleKey = z.infer<typeof bundleKeySchema>;
export type TrustBundleStatusList = z.infer<typeof bundleStatusListSchema>;
export type TrustBundleProfile = z.infer<typeof bundleProfileSchema>;
export type TrustBundleLog = z.infer<typeof bundleLogSchema>;
export type TrustBundleLogKey = z.infer<typeof bundleLogKeySchema>;

/** The file as served and saved. */
export interface SignedTrustBundle {
  readonly protected: string;
  readonly payload: string;
  readonly signature: string;
}

export type TrustBundleErrorCode =
  | 'bundle_too_large'
  | 'malformed_bundle'
  | 'unsupported_bundle'
  | 'bundle_algorithm_not_allowed'
  | 'bundle_key_unknown'
  | 'bundle_key_mismatch'
  | 'bundle_key_not_active'
  | 'bundle_key_revoked'
  | 'bad_bundle_signature';

/**
 * A bundle that cannot be used at all. Not a VerificationFailure: no credential was judged, the
 * material to judge it with was refused.
 */
export class TrustBundleError extends Error {
  constructor(
    readonly code: TrustBundleErrorCode,
    detail: string,
  ) {
    super(detail);
    this.name = 'TrustBundleError';
  }
}

const refuse = (code: TrustBundleErrorCode, detail: string) => new TrustBundleError(code, detail);

function jsonObject(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw refuse('malformed_bundle', `the ${what} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw refuse('malformed_bundle', `the ${what} is not a JSON object`);
  if (jsonDepth(value) > MAX_JSON_DEPTH) throw refuse('malformed_bundle', `the ${what} nests deeper than ${MAX_JSON_DEPTH} levels`);
  return value as Record<string, unknown>;
}

function segment(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'string' || value === '') throw refuse('malformed_bundle', `the ${what} is missing`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(base64urlDecode(value));
  } catch {
    throw refuse('malformed_bundle', `the ${what} is not base64url-encoded UTF-8`);
  }
  return jsonObject(text, what);
}

const at = (iso: string | null) => (iso === null ? undefined : Date.parse(iso));

/** Refuses a signing key that could not have signed at `generated`: the issuer signs bundles only with its active key. */
function checkSigningWindow(key: TrustBundleKey, generated: number): void {
  const revoked = at(key.revoked_at);
  if (revoked !== undefined && revoked <= generated)
    throw refuse('bundle_key_revoked', `key ${key.kid} was revoked at ${key.revoked_at} and cannot have signed a bundle made later`);
  const activated = at(key.activated_at);
  const retired = at(key.retired_at);
  if (activated === undefined || activated > generated || (retired !== undefined && retired <= generated))
    throw refuse('bundle_key_not_active', `key ${key.kid} was not the signing key when the bundle says it was made`);
}

/**
 * Parses a saved bundle and checks its own signature against the key its header names, taken
 * from the bundle's key history. What that establishes is integrity and that the holder of that
 * key made the bundle; that the key is the issuer's is for whoever hands the bundle over.
 */
export async function openTrustBundle(text: string): Promise<{ bundle: TrustBundle; kid: string }> {
  if (text.length > MAX_TRUST_BUNDLE_CHARS)
    throw refuse('bundle_too_large', `a trust bundle is at most ${MAX_TRUST_BUNDLE_CHARS} characters`);
  const jws = jsonObject(text, 'trust bundle');
  const members = Object.keys(jws).sort().join(',');
  // An unprotected header (or anything else beside the three members) is refused, not ignored:
  // nothing unsigned may steer the check.
  if (members !== 'payload,protected,signature')
    throw refuse('malformed_bundle', 'a trust bundle has exactly the members protected, payload and signature');
  const header = segment(jws.protected, 'protected header');
  const claims = segment(jws.payload, 'payload');

  if (claims.type !== TRUST_BUNDLE_TYPE || claims.version !== TRUST_BUNDLE_VERSION)
    throw refuse('unsupported_bundle', `expected a ${TRUST_BUNDLE_TYPE} version ${TRUST_BUNDLE_VERSION}`);
  if (header.typ !== TRUST_BUNDLE_TYP) throw refuse('malformed_bundle', `the header typ is not ${TRUST_BUNDLE_TYP}`);
  let alg: string;
  try {
    alg = checkHeader(header);
  } catch (e) {
    if (e instanceof VerificationFailure) throw refuse('bundle_algorithm_not_allowed', e.message);
    throw e;
  }
  const parsed = trustBundleSchema.safeParse(claims);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw refuse('malformed_bundle', `the bundle's ${issue.path.join('.') || 'payload'}: ${issue.message}`);
  }
  const bundle = parsed.data;

  const kid = header.kid;
  const prefix = `${bundle.issuer.did}#`;
  if (typeof kid !== 'string' || !kid.startsWith(prefix))
    throw refuse('bundle_key_unknown', `the header kid is not a key of ${bundle.issuer.did}`);
  const key = bundle.keys.find((k) => k.kid === kid.slice(prefix.length));
  if (!key) throw refuse('bundle_key_unknown', `the bundle's key history has no key ${kid}`);
  const jwk = { ...key.public_jwk, kid: key.kid, alg: key.alg } as JWK;
  try {
    checkKeyFits(alg, jwk);
  } catch (e) {
    if (e instanceof VerificationFailure) throw refuse('bundle_algorithm_not_allowed', e.message);
    throw e;
  }
  try {
    const flattened = { protected: jws.protected as string, payload: jws.payload as string, signature: String(jws.signature) };
    await flattenedVerify(flattened, await importJWK(jwk, alg), { algorithms: [alg] });
  } catch {
    throw refuse('bad_bundle_signature', `the bundle's signature does not verify with key ${key.kid}`);
  }
  checkSigningWindow(key, Date.parse(bundle.generated_at));

  // Every kid is the RFC 7638 thumbprint of its key: a history whose kid and key disagree was not written by launchproof.
  for (const k of bundle.keys) {
    let thumbprint: string | undefined;
    try {
      thumbprint = await calculateJwkThumbprint(k.public_jwk as JWK);
    } catch {
      thumbprint = undefined;
    }
    if (thumbprint !== k.kid) throw refuse('bundle_key_mismatch', `key ${k.kid} of the history is not the key its kid names`);
  }
  if (bundle.did_document.id !== bundle.issuer.did || bundle.jwt_vc_issuer.issuer !== bundle.issuer.issuer_url)
    throw refuse('malformed_bundle', 'the DID document or the issuer metadata names another issuer than the bundle');
  return { bundle, kid };
}
