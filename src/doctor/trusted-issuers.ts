import { Resolver } from 'did-resolver';
import { remoteDidResolvers } from '../verify/remote/did-methods.ts';
import { isRecord } from '../verify/remote/public-jwk.ts';
import type { FetchJson } from '../verify/remote/safe-fetch.ts';

/**
 * Whether one configured trusted issuer can be reached the way the verifier reaches it: a DID
 * resolves (through the same resolvers and safe fetch) to a document of that DID with at least
 * one assertion method; an https issuer publishes SD-JWT VC issuer metadata naming itself, with
 * keys. Answers a reason when it cannot, never throws.
 */
export async function trustedIssuerProblem(fetchJson: FetchJson, issuer: string): Promise<string | undefined> {
  try {
    if (issuer.startsWith('did:')) {
      const result = await new Resolver(remoteDidResolvers({ fetchJson })).resolve(issuer);
      const meta = result.didResolutionMetadata;
      if (meta.error !== undefined) return `${meta.error}${typeof meta.message === 'string' ? `: ${meta.message}` : ''}`;
      const doc: unknown = result.didDocument;
      if (!isRecord(doc) || doc.id !== issuer) return 'the DID document is not of this DID';
      const assertion = Array.isArray(doc.assertionMethod) ? doc.assertionMethod.length : 0;
      return assertion > 0 ? undefined : 'the DID document has no assertion method (no key to verify credentials with)';
    }
    const url = new URL(issuer);
    url.pathname = `/.well-known/jwt-vc-issuer${url.pathname.replace(/\/$/, '')}`;
    const metadata = await fetchJson(url.href);
    if (!isRecord(metadata) || metadata.issuer !== issuer) return 'its issuer metadata does not name it';
    const jwks = metadata.jwks ?? (typeof metadata.jwks_uri === 'string' ? await fetchJson(metadata.jwks_uri) : undefined);
    if (!isRecord(jwks) || !Array.isArray(jwks.keys) || jwks.keys.length === 0) return 'its issuer metadata publishes no keys';
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}
