/**
 * Offline verification: the trust bundle a tenant serves, opened and checked on its own, then
 * used as the verifier's only source of keys, status lists, trust and profiles.
 */
import { base64url, decodeJwt, exportJWK, FlattenedSign, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeSigner } from '../../src/credentials/signer.ts';
import { withTenant } from '../../src/store/tenant-scope.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import { bundleEnvironment } from '../../src/verify/bundle-environment.ts';
import { verifyCredential } from '../../src/verify/pipeline.ts';
import type { VerificationResult } from '../../src/verify/result.ts';
import { openTrustBundle, TRUST_BUNDLE_TYP, type SignedTrustBundle, type TrustBundle } from '../../src/verify/trust-bundle.ts';
import { freshPglite, type TestDatabase } from '../support/databases.ts';
import { harness, ORIGIN, type Harness } from '../support/harness.ts';
import { activeKid, expectProblem, readinessAssessment, tenantProfile } from '../http/helpers.ts';

const DAY = 86_400_000;

describe('trust bundles', () => {
  let t: TestDatabase;
  let h: Harness;

  beforeAll(async () => {
    t = await freshPglite();
    h = await harness(t.db);
    for (const id of ['acme', 'globex'])
      expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id, name: id } })).status).toBe(201);
  });
  afterAll(() => t.dispose());

  async function issue(tenant: string, formats: string[], assessment: unknown = readinessAssessment({ failing: ['security.csp_hsts'] })) {
    const res = await h.request('POST', `/v1/t/${tenant}/attestations`, { token: h.adminToken, body: { assessment, formats } });
    expect(res.status, await res.clone().text()).toBe(201);
    return ((await res.json()) as { credentials: { id: string; format: string; credential: string }[] }).credentials;
  }
  const download = async (tenant: string) => {
    const res = await h.request('GET', `/t/${tenant}/trust-bundle.json`);
    expect(res.status, await res.clone().text()).toBe(200);
    return res.text();
  };
  const bundleOf = async (tenant: string) => (await openTrustBundle(await download(tenant))).bundle;
  const verify = (credential: string, bundle: TrustBundle, at = h.clock()) =>
    verifyCredential(credential, bundleEnvironment(bundle, { at, skewSeconds: 60 }));
  const failed = (r: VerificationResult) => r.checks.filter((c) => !c.ok).map((c) => `${c.name}:${c.code}`);

  /** The bundle's parts, for tests that tamper with it. */
  const partsOf = (text: string) => {
    const signed = JSON.parse(text) as SignedTrustBundle;
    const payload = JSON.parse(new TextDecoder().decode(base64url.decode(signed.payload))) as TrustBundle;
    return { signed, payload };
  };
  const encode = (value: unknown) => base64url.encode(JSON.stringify(value));
  const refusal = (text: string) =>
    openTrustBundle(text).then(
      () => 'opened',
      (e: { code?: string }) => e.code,
    );

  it('is served publicly, cacheable for five minutes with a strong ETag, as a flattened JWS signed by the active key', async () => {
    const res = await h.request('GET', '/t/acme/trust-bundle.json', { headers: { origin: 'https://auditor.example' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    expect(res.headers.get('etag')).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('content-type')).toBe('application/jose+json');
    const text = await res.text();
    const again = await h.request('GET', '/t/acme/trust-bundle.json', { headers: { 'if-none-match': res.headers.get('etag')! } });
    expect(again.status).toBe(304);

    const { signed } = partsOf(text);
    expect(Object.keys(signed).sort()).toEqual(['payload', 'protected', 'signature']);
    const header = JSON.parse(new TextDecoder().decode(base64url.decode(signed.protected))) as Record<string, unknown>;
    const kid = await activeKid(t.db, 'acme');
    expect(header).toEqual({ alg: 'ES256', kid: `did:web:issuer.test:t:acme#${kid}`, typ: TRUST_BUNDLE_TYP });
    expect((await openTrustBundle(text)).kid).toBe(header.kid);
    // Public members only, however the key history is written out.
    expect(new TextDecoder().decode(base64url.decode(signed.payload))).not.toMatch(/"(d|p|q|dp|dq|qi|k)":/);
  });

  it('names the issuing organisation, and still opens, for any name the tenant records hold (200 characters outside the BMP)', async () => {
    // The console creates tenants without the API's schema; the database counts characters, not UTF-16 units.
    const name = '🚀'.repeat(200);
    await createTenant({ db: t.db, kek: h.kek, now: h.clock(), actor: 'test' }, { id: 'rocket', name });
    const bundle = await bundleOf('rocket');
    expect(bundle.issuer.name).toBe(name);
  });

  it('answers an unknown tenant, and the platform, with tenant_not_found', async () => {
    await expectProblem(await h.request('GET', '/t/nobody/trust-bundle.json'), 404, 'tenant_not_found');
    await expectProblem(await h.request('GET', '/t/_platform/trust-bundle.json'), 404, 'tenant_not_found');
  });

  it('holds the DID document, the issuer metadata, the full key history, every status list and the profiles used', async () => {
    const profile = tenantProfile('acme-launch', '1.0.0');
    expect((await h.request('POST', '/v1/t/acme/profiles', { token: h.adminToken, body: profile })).status).toBe(201);
    const unused = tenantProfile('acme-unused', '1.0.0');
    expect((await h.request('POST', '/v1/t/acme/profiles', { token: h.adminToken, body: unused })).status).toBe(201);
    const [own] = await issue('acme', ['dc+sd-jwt'], {
      profile: { id: 'acme-launch', version: '1.0.0' },
      subject: { organisation: 'Acme', product: 'Launch', productionUrl: 'https://launch.acme.example' },
      results: [{ control: 'core.only', status: 'pass', evidence: readinessAssessment().results[0]!.evidence }],
      signOffs: [],
    });
    await issue('acme', ['vc+jwt']);

    const bundle = await bundleOf('acme');
    expect(bundle).toMatchObject({
      type: 'LaunchproofTrustBundle',
      version: 1,
      generated_at: h.clock().toISOString(),
      issuer: { tenant: 'acme', did: 'did:web:issuer.test:t:acme', issuer_url: `${ORIGIN}/t/acme` },
      did_document: { id: 'did:web:issuer.test:t:acme' },
      jwt_vc_issuer: { issuer: `${ORIGIN}/t/acme` },
    });
    const didDocument = await (await h.request('GET', '/t/acme/did.json')).json();
    expect(bundle.did_document).toEqual(didDocument);
    expect(bundle.jwt_vc_issuer).toEqual(await (await h.request('GET', '/.well-known/jwt-vc-issuer/t/acme')).json());
    expect(bundle.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([await activeKid(t.db, 'acme')]));
    expect(bundle.keys.length).toBeGreaterThanOrEqual(2);
    expect(bundle.status_lists).toHaveLength(1);
    expect(bundle.status_lists[0]!.token_url).toBe(`${ORIGIN}/t/acme/status/${bundle.status_lists[0]!.id}`);
    expect(bundle.profiles.map((p) => `${p.origin} ${p.id}@${p.version}`)).toEqual([
      'tenant acme-launch@1.0.0',
      'builtin production-readiness-review@1.0.0',
    ]);
    // The tenant profile comes from the bundle alone: the verdict is recomputed against it.
    const r = await verify(own!.credential, bundle);
    expect(failed(r)).toEqual([]);
    expect(r.readiness).toMatchObject({ recomputed: true, profile: { id: 'acme-launch', version: '1.0.0' } });
  });

  it('verifies every format the service issues from the bundle alone', async () => {
    const credentials = await issue('acme', ['vc+jwt', 'jwt_vc_json', 'dc+sd-jwt']);
    const bundle = await bundleOf('acme');
    for (const c of credentials) {
      const r = await verify(c.credential, bundle);
      expect(failed(r), c.format).toEqual([]);
      expect(r).toMatchObject({ verified: true, format: c.format, status: { value: 'valid' }, readiness: { recomputed: true } });
    }
    // An envelope, too.
    const vc = credentials.find((c) => c.format === 'vc+jwt')!;
    const envelope = {
      '@context': 'https://www.w3.org/ns/credentials/v2',
      type: 'EnvelopedVerifiableCredential',
      id: `data:application/vc+jwt,${vc.credential}`,
    };
    expect((await verifyCredential(envelope, bundleEnvironment(bundle, { at: h.clock(), skewSeconds: 60 }))).verified).toBe(true);
  });

  it('reports a credential revoked before the bundle was made as revoked; an older bundle still shows it as it stood', async () => {
    const [sd, vc] = await issue('acme', ['dc+sd-jwt', 'vc+jwt']);
    const before = await bundleOf('acme');
    for (const c of [sd!, vc!]) {
      const res = await h.request('PATCH', `/v1/t/acme/credentials/${c.id}/status`, {
        token: h.adminToken,
        body: { status: 'revoked', reason: 'test' },
      });
      expect(res.status).toBe(200);
    }
    const after = await bundleOf('acme');
    for (const c of [sd!, vc!]) {
      const r = await verify(c.credential, after);
      expect({ verified: r.verified, failed: failed(r), status: r.status?.value }).toEqual({
        verified: false,
        failed: ['status:revoked'],
        status: 'revoked',
      });
      // A bundle is a snapshot: what it says is what held when it was made.
      expect(failed(await verify(c.credential, before))).toEqual([]);
    }
  });

  it('refuses what a revoked key signed, and keeps what a retired key signed', async () => {
    const [old] = await issue('globex', ['jwt_vc_json']);
    await h.request('POST', '/v1/t/globex/keys/rotate', { token: h.adminToken });
    const signingKid = await activeKid(t.db, 'globex');
    const [fresh] = await issue('globex', ['dc+sd-jwt']);
    expect(
      (await h.request('POST', `/v1/t/globex/keys/${signingKid}/revoke`, { token: h.adminToken, body: { reason: 'leaked' } })).status,
    ).toBe(200);
    const bundle = await bundleOf('globex');
    expect(bundle.keys.find((k) => k.kid === signingKid)).toMatchObject({
      revoked_at: h.clock().toISOString(),
      revocation_reason: 'leaked',
    });
    expect(failed(await verify(fresh!.credential, bundle))).toEqual(['issuer_key:key_revoked']);
    expect(failed(await verify(old!.credential, bundle))).toEqual([]);
  });

  it('judges the credential at --at, and the status lists when the bundle was made, however long ago', async () => {
    const [c] = await issue('acme', ['dc+sd-jwt']);
    const issuedAt = h.clock();
    const bundle = await bundleOf('acme');
    const exp = (decodeJwt(c!.credential.split('~')[0]!).exp as number) * 1000;
    expect(exp - issuedAt.getTime()).toBeGreaterThan(30 * DAY);

    // Thirty days on the lists in the bundle expired long ago (a day after they were signed); they
    // still say what the status was when the bundle was made.
    const later = new Date(issuedAt.getTime() + 30 * DAY);
    expect(failed(await verify(c!.credential, bundle, later))).toEqual([]);
    const withoutStatusAt = { ...bundleEnvironment(bundle, { at: later, skewSeconds: 60 }), statusAt: undefined };
    expect(failed(await verifyCredential(c!.credential, withoutStatusAt))).toEqual(['status:list_expired']);

    expect(failed(await verify(c!.credential, bundle, new Date(exp + DAY)))).toEqual(['validity_period:expired']);
    expect(failed(await verify(c!.credential, bundle, new Date(exp + 5 * 365 * DAY)))).toEqual(['validity_period:expired']);
    expect(failed(await verify(c!.credential, bundle, new Date(issuedAt.getTime() - DAY)))).toEqual(['validity_period:not_yet_valid']);
  });

  it('trusts only the bundle’s issuer and looks nothing up elsewhere', async () => {
    const [c] = await issue('acme', ['vc+jwt']);
    const [sd] = await issue('acme', ['dc+sd-jwt']);
    const globex = await bundleOf('globex');
    expect(failed(await verify(c!.credential, globex))).toEqual(['issuer_trusted:untrusted_issuer', 'issuer_key:unresolvable_issuer']);
    expect(failed(await verify(sd!.credential, globex))).toEqual(['issuer_trusted:untrusted_issuer', 'issuer_key:unresolvable_issuer']);
    const env = bundleEnvironment(globex, { skewSeconds: 60 });
    await expect(env.statusLists.fetch(`${ORIGIN}/t/acme/status/x`)).rejects.toMatchObject({ check: 'status', code: 'unreachable_list' });
    await expect(env.keys.fromDid(globex.issuer.did, `${globex.issuer.did}#${'A'.repeat(43)}`)).rejects.toMatchObject({
      code: 'unknown_key',
    });
  });

  describe('a bundle that is not what its issuer signed', () => {
    it('refuses an edited payload: a key swapped for another, or a later date', async () => {
      const text = await download('acme');
      const { signed, payload } = partsOf(text);
      const swapped = { ...payload, keys: payload.keys.map((k, i) => (i === 0 ? { ...k, public_jwk: payload.keys[1]!.public_jwk } : k)) };
      expect(await refusal(JSON.stringify({ ...signed, payload: encode(swapped) }))).toBe('bad_bundle_signature');
      const redated = { ...payload, generated_at: new Date(h.clock().getTime() + 365 * DAY).toISOString() };
      expect(await refusal(JSON.stringify({ ...signed, payload: encode(redated) }))).toBe('bad_bundle_signature');
      const forged = `${signed.signature.slice(0, -4)}${signed.signature.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
      expect(await refusal(JSON.stringify({ ...signed, signature: forged }))).toBe('bad_bundle_signature');
    });

    it('refuses a bundle re-signed with a key put in place of the issuer’s under its kid', async () => {
      const { signed, payload } = partsOf(await download('acme'));
      const header = JSON.parse(new TextDecoder().decode(base64url.decode(signed.protected))) as { kid: string };
      const thumbprint = header.kid.split('#')[1]!;
      const attacker = await generateKeyPair('ES256');
      const jwk = await exportJWK(attacker.publicKey);
      const keys = payload.keys.map((k) =>
        k.kid === thumbprint ? { ...k, public_jwk: { ...jwk, kid: k.kid, alg: 'ES256', use: 'sig' } } : k,
      );
      const resigned = await new FlattenedSign(new TextEncoder().encode(JSON.stringify({ ...payload, keys })))
        .setProtectedHeader({ alg: 'ES256', kid: header.kid, typ: TRUST_BUNDLE_TYP })
        .sign(attacker.privateKey);
      expect(await refusal(JSON.stringify(resigned))).toBe('bundle_key_mismatch');
    });

    it('refuses a bundle signed by a key its own history says was revoked by then', async () => {
      const { payload } = partsOf(await download('acme'));
      const signer = await withTenant(t.db, 'acme', (tx) => activeSigner(tx, h.kek, new URL(ORIGIN), 'acme', h.clock()));
      const keys = payload.keys.map((k) => (k.kid === signer.kid ? { ...k, revoked_at: payload.generated_at, revocation_reason: 'x' } : k));
      const resigned = await new FlattenedSign(new TextEncoder().encode(JSON.stringify({ ...payload, keys })))
        .setProtectedHeader({ alg: signer.alg, kid: signer.didUrl, typ: TRUST_BUNDLE_TYP })
        .sign(signer.key);
      expect(await refusal(JSON.stringify(resigned))).toBe('bundle_key_revoked');
    });

    it('refuses what is not a bundle, an unsigned header member, another type or version, alg none, and a stranger’s kid', async () => {
      const { signed, payload } = partsOf(await download('acme'));
      const header = JSON.parse(new TextDecoder().decode(base64url.decode(signed.protected))) as Record<string, unknown>;
      expect(await refusal('not json')).toBe('malformed_bundle');
      expect(await refusal('[]')).toBe('malformed_bundle');
      expect(await refusal(JSON.stringify({ ...signed, header: { kid: 'x' } }))).toBe('malformed_bundle');
      expect(await refusal(JSON.stringify({ ...signed, payload: encode({ ...payload, version: 2 }) }))).toBe('unsupported_bundle');
      expect(await refusal(JSON.stringify({ ...signed, protected: encode({ ...header, typ: 'JWT' }) }))).toBe('malformed_bundle');
      expect(await refusal(JSON.stringify({ ...signed, protected: encode({ ...header, alg: 'none' }), signature: '' }))).toBe(
        'bundle_algorithm_not_allowed',
      );
      expect(await refusal(JSON.stringify({ ...signed, protected: encode({ ...header, kid: 'did:web:evil.example#x' }) }))).toBe(
        'bundle_key_unknown',
      );
      expect(await refusal(' '.repeat(33 * 1024 * 1024))).toBe('bundle_too_large');
    });
  });
});
