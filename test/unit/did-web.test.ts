import { describe, expect, it } from 'vitest';
import { didForOrigin, didForPath, didWebDocumentUrl } from '../../src/did/did-web.ts';
import { issuerIdentity } from '../../src/did/issuer-identity.ts';

describe('did:web identifiers (W3C CCG did:web)', () => {
  it('names the platform by its host and a tenant by the path segments t and its id', () => {
    const origin = new URL('https://issuer.example.com');
    expect(didForOrigin(origin)).toBe('did:web:issuer.example.com');
    expect(didForPath(origin, ['t', 'acme'])).toBe('did:web:issuer.example.com:t:acme');
  });

  it('percent-encodes the port separator so it is not read as a path separator', () => {
    const origin = new URL('https://localhost:8443');
    expect(issuerIdentity(origin, 'acme').did).toBe('did:web:localhost%3A8443:t:acme');
    expect(issuerIdentity(origin, '_platform').did).toBe('did:web:localhost%3A8443');
  });

  it('maps each DID back to the URL a resolver fetches, the inverse of how we publish it', () => {
    for (const origin of ['https://issuer.example.com', 'https://localhost:8443']) {
      for (const tenant of ['_platform', 'acme']) {
        const id = issuerIdentity(new URL(origin), tenant);
        expect(didWebDocumentUrl(id.did).toString()).toBe(id.didDocumentUrl.replace(/^http:/, 'https:'));
      }
    }
  });

  it('places the SD-JWT VC issuer metadata between host and issuer path', () => {
    const id = issuerIdentity(new URL('https://issuer.example.com'), 'acme');
    expect(id.issuerUrl).toBe('https://issuer.example.com/t/acme');
    expect(id.jwtVcIssuerMetadataUrl).toBe('https://issuer.example.com/.well-known/jwt-vc-issuer/t/acme');
  });

  it('refuses identifiers that are not did:web', () => {
    expect(() => didWebDocumentUrl('did:key:z6Mk')).toThrow(TypeError);
    expect(() => didWebDocumentUrl('did:web:')).toThrow(TypeError);
  });
});
