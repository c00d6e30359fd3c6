import type { DIDDocument, DIDResolutionResult, DIDResolver, JsonWebKey, ResolverRegistry } from 'did-resolver';
import { didWebDocumentUrl } from '../../did/did-web.ts';
import { base64urlDecode } from '../../util/base64url.ts';
import { VerificationFailure } from '../result.ts';
import { multikeyToJwk } from './multikey.ts';
import { hasPrivateMembers, isRecord } from './public-jwk.ts';
import type { FetchJson } from './safe-fetch.ts';

/**
 * did-resolver plugins for issuers outside this deployment. They report failures as DID
 * Resolution data (`didResolutionMetadata.error`), as the did-resolver contract asks, so any
 * did-resolver consumer can use them; `verificationCode` adds the code a verifier reports.
 */
export function remoteDidResolvers(options: { readonly fetchJson: FetchJson }): ResolverRegistry {
  return { web: didWebResolver(options.fetchJson), jwk: didJwkResolver(), key: didKeyResolver() };
}

export function failedResolution(error: string, verificationCode: string, message: string): DIDResolutionResult {
  return { didResolutionMetadata: { error, message, verificationCode }, didDocument: null, didDocumentMetadata: {} };
}

function resolved(didDocument: DIDDocument, contentType: string): DIDResolutionResult {
  return { didResolutionMetadata: { contentType }, didDocument, didDocumentMetadata: {} };
}

/** Hosts as did:web allows them after `%3A` decoding: a domain name or IPv6 literal, optionally a port. */
const DID_WEB_HOST = /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;

export function didWebResolver(fetchJson: FetchJson): DIDResolver {
  return async (did, parsed) => {
    let url: URL;
    try {
      // A percent-encoded `/`, `@` or `?` in the host part would move the fetch somewhere the DID does not name.
      if (!DID_WEB_HOST.test(decodeURIComponent(parsed.id.split(':')[0]!))) throw new TypeError('host');
      url = didWebDocumentUrl(did);
    } catch {
      return failedResolution('invalidDid', 'unresolvable_issuer', 'not a valid did:web DID');
    }
    let document: unknown;
    try {
      document = await fetchJson(url.href);
    } catch (error) {
      if (error instanceof VerificationFailure) return failedResolution('notFound', error.code, error.message);
      throw error;
    }
    // Without this a host could serve another DID's document (did:web leaves the check to the resolver).
    if (!isRecord(document) || document.id !== did)
      return failedResolution('notFound', 'unresolvable_issuer', 'DID document id does not match the DID');
    return resolved(document as DIDDocument, 'application/did+json');
  };
}

/** did:jwk: the method-specific id is base64url(UTF-8 JSON of a public JWK); the document is derived, nothing is fetched. */
export function didJwkResolver(): DIDResolver {
  return async (did, parsed) => {
    let jwk: unknown;
    try {
      jwk = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(base64urlDecode(parsed.id)));
    } catch {
      return failedResolution('invalidDid', 'unresolvable_issuer', 'did:jwk does not decode to JSON');
    }
    if (!isRecord(jwk) || typeof jwk.kty !== 'string')
      return failedResolution('invalidDid', 'unresolvable_issuer', 'did:jwk does not carry a JWK');
    if (hasPrivateMembers(jwk)) return failedResolution('invalidDid', 'private_key_published', 'did:jwk carries private key material');
    const method = `${did}#0`;
    const relationships =
      jwk.use === 'enc'
        ? { keyAgreement: [method] }
        : {
            assertionMethod: [method],
            authentication: [method],
            capabilityInvocation: [method],
            capabilityDelegation: [method],
            ...(jwk.use === 'sig' ? {} : { keyAgreement: [method] }),
          };
    return resolved(
      {
        '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/suites/jws-2020/v1'],
        id: did,
        verificationMethod: [{ id: method, type: 'JsonWebKey2020', controller: did, publicKeyJwk: jwk as JsonWebKey }],
        ...relationships,
      },
      'application/did+ld+json',
    );
  };
}

/** did:key for Ed25519 and P-256 only: the signature algorithms this service verifies (EdDSA, ES256). */
export function didKeyResolver(): DIDResolver {
  return async (did, parsed) => {
    const decoded = await multikeyToJwk(parsed.id);
    if (!decoded.ok) {
      const code = decoded.error === 'unsupportedPublicKeyType' ? 'unsupported_key_format' : 'unresolvable_issuer';
      return failedResolution(decoded.error, code, decoded.detail);
    }
    const method = `${did}#${parsed.id}`;
    return resolved(
      {
        '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/suites/jws-2020/v1'],
        id: did,
        verificationMethod: [{ id: method, type: 'JsonWebKey2020', controller: did, publicKeyJwk: decoded.jwk as JsonWebKey }],
        assertionMethod: [method],
        authentication: [method],
        capabilityInvocation: [method],
        capabilityDelegation: [method],
      },
      'application/did+ld+json',
    );
  };
}
