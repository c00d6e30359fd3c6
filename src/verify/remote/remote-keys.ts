import { Resolver, parse } from 'did-resolver';
import type { JWK } from 'jose';
import type { IssuerKey, IssuerKeySource } from '../issuer-keys.ts';
import { VerificationFailure } from '../result.ts';
import { remoteDidResolvers } from './did-methods.ts';
import { multikeyToJwk } from './multikey.ts';
import { isRecord, publicVerificationJwk } from './public-jwk.ts';
import type { FetchJson } from './safe-fetch.ts';

export interface RemoteIssuerKeysOptions {
  /** A safe fetch (createSafeFetch): every URL here comes from a credential or a document someone else wrote. */
  readonly fetchJson: FetchJson;
}

const failure = (code: string, detail: string) => new VerificationFailure('issuer_key', code, detail);

const RELATIONSHIPS = ['assertionMethod', 'authentication', 'keyAgreement', 'capabilityInvocation', 'capabilityDelegation'] as const;

/**
 * Keys of issuers outside this deployment: did:web, did:jwk and did:key, and SD-JWT VC issuer
 * metadata. Nothing is cached across calls; a caller that wants caching wraps this source.
 */
export function remoteIssuerKeys(options: RemoteIssuerKeysOptions): IssuerKeySource {
  return {
    fromDid: (did, kid) => keyFromDid(fetchingEachOnce(options.fetchJson), did, kid),
    fromIssuerMetadata: (issuerUrl, kid) => keyFromIssuerMetadata(fetchingEachOnce(options.fetchJson), issuerUrl, kid),
  };
}

async function keyFromDid(fetchJson: FetchJson, did: string, kid: string): Promise<IssuerKey> {
  if (parse(did)?.did !== did) throw failure('unresolvable_issuer', 'issuer is not a bare DID');
  if (!kid.startsWith(`${did}#`) || kid.length === did.length + 1) throw failure('kid_not_of_issuer', 'kid is not a key of the issuer DID');

  const result = await new Resolver(remoteDidResolvers({ fetchJson })).resolve(did);
  const metadata = result.didResolutionMetadata;
  if (metadata.error === 'unsupportedDidMethod') throw failure('unsupported_did_method', 'DID method not supported');
  const document: unknown = result.didDocument;
  if (metadata.error !== undefined || !isRecord(document)) {
    const code = typeof metadata.verificationCode === 'string' ? metadata.verificationCode : 'unresolvable_issuer';
    throw failure(code, typeof metadata.message === 'string' ? metadata.message : 'DID did not resolve');
  }
  if (document.id !== did) throw failure('unresolvable_issuer', 'DID document id does not match the DID');

  // DID Core lets ids be relative to the document; the kid in a JWT header is absolute.
  const absolute = (id: string) => (id.startsWith('#') ? did + id : id);
  const candidates = methodsOf(document).filter((method) => absolute(method.id) === kid);
  if (candidates.length === 0) throw failure('unknown_key', 'the DID document has no such verification method');
  if (candidates.length > 1) throw failure('unresolvable_issuer', 'verification method id is not unique in the DID document');
  const assertion = asArray(document.assertionMethod).some((entry) => {
    const id = typeof entry === 'string' ? entry : isRecord(entry) ? entry.id : undefined;
    return typeof id === 'string' && absolute(id) === kid;
  });
  if (!assertion) throw failure('key_not_for_assertion', 'the key is not an assertion method of the DID');
  return { jwk: await methodJwk(candidates[0]!) };
}

/** Listed methods and those embedded in a relationship: a kid may name either. */
function methodsOf(document: Record<string, unknown>): (Record<string, unknown> & { id: string })[] {
  const embedded = RELATIONSHIPS.flatMap((name) => asArray(document[name]));
  return [...asArray(document.verificationMethod), ...embedded].filter(
    (entry): entry is Record<string, unknown> & { id: string } => isRecord(entry) && typeof entry.id === 'string',
  );
}

async function methodJwk(method: Record<string, unknown>): Promise<JWK> {
  if (method.publicKeyJwk !== undefined) return publicVerificationJwk(method.publicKeyJwk);
  // Multikey / Ed25519VerificationKey2020 documents: the same encoding did:key uses, so it costs nothing to accept.
  if (typeof method.publicKeyMultibase === 'string') {
    const decoded = await multikeyToJwk(method.publicKeyMultibase);
    if (!decoded.ok)
      throw failure(decoded.error === 'unsupportedPublicKeyType' ? 'unsupported_key_format' : 'unresolvable_issuer', decoded.detail);
    return publicVerificationJwk(decoded.jwk);
  }
  throw failure('unsupported_key_format', 'verification method has neither publicKeyJwk nor publicKeyMultibase');
}

async function keyFromIssuerMetadata(fetchJson: FetchJson, issuerUrl: string, kid: string | undefined): Promise<IssuerKey> {
  let issuer: URL;
  try {
    issuer = new URL(issuerUrl);
  } catch {
    throw failure('unresolvable_issuer', 'issuer is not a URL');
  }
  if (issuerUrl.includes('?') || issuerUrl.includes('#')) throw failure('unresolvable_issuer', 'issuer identifier has a query or fragment');
  // SD-JWT VC: the well-known segment goes between host and path, and a trailing `/` of the path is dropped.
  const metadataUrl = new URL(issuer.href);
  metadataUrl.pathname = `/.well-known/jwt-vc-issuer${issuer.pathname.replace(/\/$/, '')}`;

  const metadata = await fetchJson(metadataUrl.href);
  if (!isRecord(metadata)) throw failure('unresolvable_issuer', 'issuer metadata is not a JSON object');
  // Otherwise one host could publish keys for an issuer it is not.
  if (metadata.issuer !== issuerUrl) throw failure('unresolvable_issuer', 'issuer metadata names another issuer');
  const inline = metadata.jwks !== undefined;
  if (inline === (metadata.jwks_uri !== undefined))
    throw failure('unresolvable_issuer', 'issuer metadata needs exactly one of jwks and jwks_uri');
  if (!inline && typeof metadata.jwks_uri !== 'string') throw failure('unresolvable_issuer', 'jwks_uri is not a string');
  const jwks = inline ? metadata.jwks : await fetchJson(metadata.jwks_uri as string);
  if (!isRecord(jwks) || !Array.isArray(jwks.keys)) throw failure('unresolvable_issuer', 'issuer keys are not a JWK Set');

  const keys = jwks.keys.filter(isRecord);
  // With no kid in the header, only an issuer with a single key names one unambiguously.
  if (kid === undefined) {
    if (keys.length !== 1) throw failure('ambiguous_key', 'the header names no key and the issuer does not publish exactly one');
    return { jwk: publicVerificationJwk(keys[0]) };
  }
  const matches = keys.filter((key) => key.kid === kid);
  if (matches.length === 0) throw failure('unknown_key', 'the issuer publishes no key with that kid');
  if (matches.length > 1) throw failure('ambiguous_key', 'the kid names more than one key');
  return { jwk: publicVerificationJwk(matches[0]) };
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function normalized(url: string): string {
  try {
    return new URL(url).href;
  } catch {
    return url;
  }
}

/** One fetch per URL within a call: a document that points at itself (jwks_uri) is not fetched again. */
function fetchingEachOnce(fetchJson: FetchJson): FetchJson {
  const seen = new Map<string, Promise<unknown>>();
  return (url) => {
    const key = normalized(url);
    let pending = seen.get(key);
    if (pending === undefined) {
      pending = fetchJson(url);
      seen.set(key, pending);
    }
    return pending;
  };
}
