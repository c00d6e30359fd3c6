import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compactVerify, createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { jwkSet } from '../../src/did/documents.ts';
import type { AttestationContent } from '../../src/credentials/attestation.ts';
import { signJwtVcJson } from '../../src/credentials/formats/jwt-vc-json.ts';
import { signSdJwtVc } from '../../src/credentials/formats/sd-jwt-vc.ts';
import { signVcJwt } from '../../src/credentials/formats/vc-jwt.ts';
import { activeSigner, type IssuerSigner } from '../../src/credentials/signer.ts';
import { generateKeyEncryptionKey, importKeyEncryptionKey } from '../../src/keys/key-crypto.ts';
import { listKeys } from '../../src/keys/key-store.ts';
import { publishedKeys } from '../../src/keys/lifecycle.ts';
import { withTenant } from '../../src/store/tenant-scope.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import { freshPglite, type TestDatabase } from '../support/databases.ts';

const ORIGIN = new URL('https://issuer.test');

const content = (): AttestationContent => ({
  id: `urn:uuid:${crypto.randomUUID()}`,
  subject: { organisation: 'Acme Corp', product: 'Acme Cloud', productionUrl: 'https://app.acme.example', id: 'did:web:acme.example' },
  profile: { id: 'production-readiness-review', version: '1.0.0', digest: 'sha256-AAAA' },
  assessmentId: crypto.randomUUID(),
  verdict: { strictGatePassed: true, stage: 'launchable', stagesReached: ['launchable'], blockers: [], exclusions: [], acceptance: null },
  results: [
    {
      control: 'security.ssrf',
      status: 'pass',
      evidence: [
        {
          uri: 'https://evidence.acme.example/ssrf.json',
          digestSRI: 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=',
          mediaType: 'application/json',
          collectedAt: '2026-01-01T00:00:00Z',
          collectedBy: 'ci',
        },
        {
          uri: 'https://evidence.acme.example/ssrf2.json',
          digestSRI: 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=',
          mediaType: 'application/json',
          collectedAt: '2026-01-01T00:00:00Z',
          collectedBy: 'ci',
        },
      ],
    },
    { control: 'ops.health', status: 'not_applicable', evidence: [] },
  ],
  validFrom: new Date('2026-01-01T00:00:00Z'),
  validUntil: new Date('2026-04-01T00:00:00Z'),
  issuedAt: new Date('2026-01-01T00:00:00Z'),
});

describe.each(['ES256', 'EdDSA'] as const)('credential formats signed with %s', (algorithm) => {
  let t: TestDatabase;
  let signer: IssuerSigner;
  let jwks: ReturnType<typeof createLocalJWKSet>;
  let published: ReturnType<typeof jwkSet>;
  const now = new Date('2026-01-01T00:00:00Z');

  beforeAll(async () => {
    t = await freshPglite();
    const kek = await importKeyEncryptionKey(generateKeyEncryptionKey());
    await createTenant(
      { db: t.db, kek, now, actor: 't' },
      {
        id: 'acme',
        name: 'Acme',
        keyPolicy: { algorithm, rotationPeriodDays: 90, maxCredentialValidityDays: 365, retiredPublishDays: 400 },
      },
    );
    signer = await withTenant(t.db, 'acme', (tx) => activeSigner(tx, kek, ORIGIN, 'acme', now));
    published = jwkSet(publishedKeys(await withTenant(t.db, 'acme', (tx) => listKeys(tx, 'acme')), now));
    jwks = createLocalJWKSet(published as never);
  });
  afterAll(() => t.dispose());

  it('vc+jwt: a VCDM 2.0 credential as the JWS payload, typ vc+jwt, kid the DID URL of the active key', async () => {
    const c = content();
    const jws = await signVcJwt(c, signer, ORIGIN);
    const header = decodeProtectedHeader(jws);
    expect(header).toEqual({ alg: algorithm, kid: `did:web:issuer.test:t:acme#${signer.kid}`, typ: 'vc+jwt', cty: 'vc' });
    const { payload } = await compactVerify(jws, async () =>
      (await import('jose')).importJWK(published.keys.find((k) => k.kid === signer.kid)! as never, algorithm),
    );
    const vc = JSON.parse(new TextDecoder().decode(payload));
    expect(vc).toMatchObject({
      '@context': ['https://www.w3.org/ns/credentials/v2', 'https://issuer.test/contexts/launch-readiness/v1'],
      id: c.id,
      issuer: 'did:web:issuer.test:t:acme',
      validFrom: '2026-01-01T00:00:00.000Z',
      validUntil: '2026-04-01T00:00:00.000Z',
    });
    expect(vc.credentialSubject.results['security.ssrf'].evidence).toHaveLength(2);
  });

  it('jwt_vc_json: a VCDM 1.1 vc claim with iss, sub, nbf, exp and jti', async () => {
    const c = content();
    // kid is a DID URL; the JWKS lists bare thumbprints, which are its fragment.
    const { payload } = await jwtVerify(await signJwtVcJson(c, signer, ORIGIN), (h) => jwks({ ...h, kid: h.kid!.split('#')[1] }), {
      currentDate: new Date('2026-02-01T00:00:00Z'),
    });
    expect(payload).toMatchObject({
      iss: 'did:web:issuer.test:t:acme',
      sub: 'did:web:acme.example',
      jti: c.id,
      nbf: 1767225600,
      exp: 1775001600,
    });
    expect((payload.vc as { type: string[] }).type).toEqual(['VerifiableCredential', 'LaunchReadinessAttestation']);
  });

  it('dc+sd-jwt: every result and evidence item disclosable, verdict always visible, salts of 128 bits', async () => {
    const c = content();
    const token = await signSdJwtVc(c, signer, ORIGIN, 'sha256-test');
    const [jwt, ...disclosures] = token.split('~').filter(Boolean);
    expect(decodeProtectedHeader(jwt!)).toEqual({ alg: algorithm, typ: 'dc+sd-jwt', kid: signer.kid });
    const visible = JSON.parse(
      new TextDecoder().decode(Uint8Array.from(atob(jwt!.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/')), (ch) => ch.charCodeAt(0))),
    );
    expect(visible).toMatchObject({
      iss: 'https://issuer.test/t/acme',
      vct: 'https://issuer.test/types/launch-readiness/v1',
      verdict: { stage: 'launchable', strict_gate_passed: true },
    });
    expect(visible.results._sd).toHaveLength(2);
    expect(visible.results['security.ssrf']).toBeUndefined();
    // 2 results + 2 evidence items.
    expect(disclosures).toHaveLength(4);
    for (const d of disclosures) {
      const [saltValue] = JSON.parse(atob(d.replace(/-/g, '+').replace(/_/g, '/')));
      expect(saltValue.length).toBeGreaterThanOrEqual(22); // 16 bytes of base64url
    }
    const verifier = new SDJwtVcInstance({
      hasher: async (data) => new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(data as string))),
      verifier: async (input, sig) => {
        const { importJWK } = await import('jose');
        const key = await importJWK(published.keys.find((k) => k.kid === signer.kid)! as never, algorithm);
        const params = algorithm === 'ES256' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'Ed25519' };
        const bytes = Uint8Array.from(atob(sig.replace(/-/g, '+').replace(/_/g, '/')), (ch) => ch.charCodeAt(0));
        return crypto.subtle.verify(params, key as CryptoKey, bytes, new TextEncoder().encode(input));
      },
    });
    const verified = await verifier.verify(token, { currentDate: Math.floor(new Date('2026-02-01').getTime() / 1000) } as never);
    expect(
      (verified.payload as unknown as { results: Record<string, { evidence: unknown[] }> }).results['security.ssrf']!.evidence,
    ).toHaveLength(2);
  });
});
