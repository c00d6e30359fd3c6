/**
 * The verification pipeline (src/verify/pipeline.ts) over credentials the real app issued: this
 * deployment's keys from its database, status lists read through the app as a verifier reads them.
 */
import { base64url, CompactSign, decodeJwt, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJsonLogger } from '../../src/log/logger.ts';
import { republishStaleLists } from '../../src/status/sweep.ts';
import { remoteIssuerKeys } from '../../src/verify/remote/remote-keys.ts';
import { verifyCredential, type VerifyEnvironment } from '../../src/verify/pipeline.ts';
import type { VerificationResult } from '../../src/verify/result.ts';
import { freshPglite, type TestDatabase } from '../support/databases.ts';
import { harness, ORIGIN, type Harness } from '../support/harness.ts';
import { activeKid, readinessAssessment } from '../http/helpers.ts';
import { databaseKeys, harnessVerification } from '../support/verify-env.ts';

describe('the verification pipeline', () => {
  let t: TestDatabase;
  let h: Harness;

  beforeAll(async () => {
    t = await freshPglite();
    h = await harness(t.db);
    for (const id of ['acme', 'globex'])
      expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id, name: id } })).status).toBe(201);
  });
  afterAll(() => t.dispose());

  const env = (overrides: Partial<VerifyEnvironment> = {}) => harnessVerification(h, overrides);
  async function issue(tenant: string, formats: string[], extra: Record<string, unknown> = {}) {
    const res = await h.request('POST', `/v1/t/${tenant}/attestations`, {
      token: h.adminToken,
      body: { assessment: readinessAssessment({ failing: ['security.csp_hsts'] }), formats, ...extra },
    });
    expect(res.status, await res.clone().text()).toBe(201);
    return ((await res.json()) as { credentials: { id: string; format: string; credential: string }[] }).credentials;
  }
  const failed = (r: VerificationResult) => r.checks.filter((c) => !c.ok).map((c) => `${c.name}:${c.code}`);

  it('verifies every format the service issues: signature, validity, status and the verdict recomputed from the results', async () => {
    for (const c of await issue('acme', ['vc+jwt', 'jwt_vc_json', 'dc+sd-jwt'])) {
      const r = await verifyCredential(c.credential, env());
      expect(failed(r), `${c.format}: ${JSON.stringify(r.checks.filter((x) => !x.ok))}`).toEqual([]);
      expect(r).toMatchObject({ verified: true, format: c.format, issuer: expect.stringContaining('acme'), status: { value: 'valid' } });
      expect(r.kid).toContain(await activeKid(t.db, 'acme'));
      expect(r.readiness).toMatchObject({ recomputed: true, profile: { id: 'production-readiness-review', version: '1.0.0' } });
      expect(r.checks.map((x) => x.name)).toEqual(
        c.format === 'dc+sd-jwt'
          ? ['format', 'algorithm', 'issuer_trusted', 'issuer_key', 'signature', 'disclosures', 'validity_period', 'status', 'readiness']
          : ['format', 'algorithm', 'issuer_trusted', 'issuer_key', 'signature', 'validity_period', 'status', 'readiness'],
      );
    }
  });

  it('accepts the VC-API envelope of a credential', async () => {
    const [c] = await issue('acme', ['vc+jwt']);
    const envelope = {
      '@context': ['https://www.w3.org/ns/credentials/v2'],
      type: 'EnvelopedVerifiableCredential',
      id: `data:application/vc+jwt,${c!.credential}`,
    };
    expect((await verifyCredential(envelope, env())).verified).toBe(true);
  });

  it('refuses a vc+jwt that is not a VC Data Model 2.0 credential secured as VC-JOSE-COSE says, and an envelope without its context', async () => {
    const [c] = await issue('acme', ['vc+jwt']);
    const genuine = decodeJwt(c!.credential) as Record<string, unknown>;
    // Signed by an issuer of its own (did:jwk, trusted here), so only the payload's shape is judged.
    const pair = await generateKeyPair('ES256');
    const did = `did:jwk:${base64url.encode(JSON.stringify({ ...(await exportJWK(pair.publicKey)), alg: 'ES256' }))}`;
    const env2: VerifyEnvironment = {
      keys: databaseKeys(t.db, new URL(ORIGIN), remoteIssuerKeys({ fetchJson: () => Promise.reject(new Error('no network')) })),
      statusLists: { fetch: () => Promise.reject(new Error('no status lists')) },
      isTrusted: () => true,
      now: h.clock(),
      skewSeconds: 60,
    };
    const sign = (payload: Record<string, unknown>) =>
      new CompactSign(new TextEncoder().encode(JSON.stringify({ ...payload, issuer: did, credentialStatus: undefined })))
        .setProtectedHeader({ alg: 'ES256', typ: 'vc+jwt', kid: `${did}#0` })
        .sign(pair.privateKey);
    const failedOf = async (input: unknown) => failed(await verifyCredential(input, env2));
    expect(await failedOf(await sign(genuine))).toEqual([]);
    const { '@context': _context, ...withoutContext } = genuine;
    for (const [payload, code] of [
      [{ ...genuine, vc: { type: ['VerifiableCredential'] } }, 'format:forbidden_claim'],
      [{ ...genuine, vp: {} }, 'format:forbidden_claim'],
      [withoutContext, 'format:not_vcdm2'],
      [{ ...genuine, '@context': ['https://www.w3.org/2018/credentials/v1'] }, 'format:not_vcdm2'],
      [{ ...genuine, '@context': [] }, 'format:not_vcdm2'],
    ] as const) {
      expect(await failedOf(await sign(payload)), JSON.stringify(Object.keys(payload))).toEqual([code]);
    }
    const enveloped = (context: unknown) => ({
      ...(context === undefined ? {} : { '@context': context }),
      type: 'EnvelopedVerifiableCredential',
      id: `data:application/vc+jwt,${c!.credential}`,
    });
    // The envelope of the genuine credential, judged against this deployment's own keys and lists.
    const local = async (input: unknown) => failed(await verifyCredential(input, env()));
    expect(await local(enveloped('https://www.w3.org/ns/credentials/v2'))).toEqual([]);
    for (const context of [undefined, [], '', ['https://www.w3.org/2018/credentials/v1']])
      expect(await local(enveloped(context)), JSON.stringify(context)).toEqual(['format:not_vcdm2']);
  });

  it('reports a revoked or suspended credential as such, in every format of its attestation', async () => {
    const revoked = await issue('acme', ['dc+sd-jwt', 'vc+jwt']);
    const suspended = await issue('acme', ['jwt_vc_json', 'dc+sd-jwt']);
    const untouched = await issue('acme', ['vc+jwt']);
    for (const [formats, status] of [
      [revoked, 'revoked'],
      [suspended, 'suspended'],
    ] as const) {
      // Changed through one format's record; the other format of the same issuance follows.
      const res = await h.request('PATCH', `/v1/t/acme/credentials/${formats[0]!.id}/status`, {
        token: h.adminToken,
        body: { status, reason: 'test' },
      });
      expect(res.status, await res.clone().text()).toBe(200);
      for (const c of formats) {
        const r = await verifyCredential(c.credential, env());
        expect({ format: c.format, verified: r.verified, failed: failed(r), status: r.status?.value }).toEqual({
          format: c.format,
          verified: false,
          failed: [`status:${status}`],
          status,
        });
      }
    }
    expect(failed(await verifyCredential(untouched[0]!.credential, env()))).toEqual([]);
  });

  it('refuses what a revoked key signed, but keeps what a retired key signed', async () => {
    const [old] = await issue('globex', ['vc+jwt']);
    await h.request('POST', '/v1/t/globex/keys/rotate', { token: h.adminToken });
    expect(failed(await verifyCredential(old!.credential, env()))).toEqual([]);
    const signingKid = await activeKid(t.db, 'globex');
    const [fresh] = await issue('globex', ['dc+sd-jwt']);
    await h.request('POST', `/v1/t/globex/keys/${signingKid}/revoke`, { token: h.adminToken, body: { reason: 'leaked' } });
    expect(failed(await verifyCredential(fresh!.credential, env()))).toEqual(['issuer_key:key_revoked']);
    expect(failed(await verifyCredential(old!.credential, env()))).toEqual([]);
  });

  it('refuses an expired credential, and one not valid yet, with the skew honoured', async () => {
    const [c] = await issue('acme', ['jwt_vc_json']);
    const exp = (decodeJwt(c!.credential).exp as number) * 1000;
    const issuedAt = h.clock();
    expect(failed(await verifyCredential(c!.credential, env({ now: new Date(issuedAt.getTime() - 3_600_000) })))).toEqual([
      'validity_period:not_yet_valid',
    ]);
    // The issuer's clock moves too, and its sweep has re-signed the lists meanwhile (readers never
    // sign), so the lists it serves are current at the verifier's instant.
    h.clock.set(new Date(exp + 30_000));
    await republishStaleLists({ db: t.db, kek: h.kek, origin: h.config.publicUrl, now: h.clock(), log: createJsonLogger('error') });
    try {
      expect(failed(await verifyCredential(c!.credential, env({ now: new Date(exp + 30_000) })))).toEqual([]);
      expect(failed(await verifyCredential(c!.credential, env({ now: new Date(exp + 61_000) })))).toEqual(['validity_period:expired']);
    } finally {
      h.clock.set(issuedAt);
    }
  });

  it('reports an issuer it does not trust, and never as verified', async () => {
    const [c] = await issue('acme', ['vc+jwt']);
    const r = await verifyCredential(c!.credential, env({ isTrusted: () => false }));
    expect(r.verified).toBe(false);
    expect(failed(r)).toEqual(['issuer_trusted:untrusted_issuer']);
  });

  describe('attacks on the signature and the key', () => {
    const parts = async () => (await issue('acme', ['vc+jwt']))[0]!.credential.split('.');
    const header = (h: Record<string, unknown>) => base64url.encode(JSON.stringify(h));

    it('refuses alg none, HS256 keyed with the public key, a key-pointing header, and a forged or swapped payload', async () => {
      const [hd, pl, sig] = await parts();
      const original = JSON.parse(new TextDecoder().decode(base64url.decode(hd!))) as Record<string, unknown>;
      const none = `${header({ ...original, alg: 'none' })}.${pl}.`;
      expect(failed(await verifyCredential(none, env()))).toEqual(['algorithm:algorithm_not_allowed']);

      const jwks = (await (await h.request('GET', '/t/acme/jwks.json')).json()) as { keys: Record<string, unknown>[] };
      const secret = new TextEncoder().encode(JSON.stringify(jwks.keys[0]));
      const hs = await new CompactSign(base64url.decode(pl!)).setProtectedHeader({ ...original, alg: 'HS256' } as never).sign(secret);
      expect(failed(await verifyCredential(hs, env()))).toEqual(['algorithm:algorithm_not_allowed']);

      const jku = `${header({ ...original, jku: 'https://attacker.example/jwks.json' })}.${pl}.${sig}`;
      expect(failed(await verifyCredential(jku, env()))).toEqual(['algorithm:key_in_header']);

      const forged = `${hd}.${pl}.${sig!.slice(0, -4)}${sig!.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
      expect(failed(await verifyCredential(forged, env()))).toEqual(['signature:bad_signature']);
      const [, otherPayload] = await parts();
      expect(failed(await verifyCredential(`${hd}.${otherPayload}.${sig}`, env()))).toEqual(['signature:bad_signature']);
    });

    it('refuses a kid of another tenant, and a key that is not the issuer’s', async () => {
      const [hd, pl, sig] = await parts();
      const original = JSON.parse(new TextDecoder().decode(base64url.decode(hd!))) as Record<string, unknown>;
      const globexKid = `did:web:issuer.test:t:globex#${await activeKid(t.db, 'globex')}`;
      expect(failed(await verifyCredential(`${header({ ...original, kid: globexKid })}.${pl}.${sig}`, env()))).toEqual([
        'issuer_key:kid_not_of_issuer',
      ]);
      const unknown = `${String(original.kid).split('#')[0]}#${'A'.repeat(43)}`;
      expect(failed(await verifyCredential(`${header({ ...original, kid: unknown })}.${pl}.${sig}`, env()))).toEqual([
        'issuer_key:unknown_key',
      ]);
    });
  });

  describe('SD-JWT disclosures and key binding', () => {
    it('refuses an unreferenced, altered or duplicated disclosure instead of dropping it', async () => {
      const [c] = await issue('acme', ['dc+sd-jwt']);
      const [jws, ...rest] = c!.credential.split('~');
      const disclosures = rest.slice(0, -1);
      const foreign = base64url.encode(JSON.stringify(['c2FsdHNhbHRzYWx0', 'admin', true]));
      const altered = base64url.encode(
        JSON.stringify(
          (JSON.parse(new TextDecoder().decode(base64url.decode(disclosures[0]!))) as unknown[]).map((v, i) => (i === 1 ? 'tampered' : v)),
        ),
      );
      const cases: [string[], string][] = [
        [[...disclosures, foreign], 'disclosures:unreferenced_disclosure'],
        [[altered, ...disclosures.slice(1)], 'disclosures:unreferenced_disclosure'],
        [[...disclosures, disclosures[0]!], 'disclosures:duplicate_disclosure'],
      ];
      for (const [presented, code] of cases)
        expect(failed(await verifyCredential(`${jws}~${presented.join('~')}~`, env()))).toEqual([code]);
      // Withholding disclosures is the holder's right (two control results, without their evidence items): still verified, verdict not recomputed.
      const named = disclosures.filter((d) => (JSON.parse(new TextDecoder().decode(base64url.decode(d))) as unknown[]).length === 3);
      const partial = await verifyCredential(`${jws}~${named.slice(0, 2).join('~')}~`, env());
      expect(partial.verified).toBe(true);
      expect(partial.readiness?.recomputed).toBe(false);
    });

    it('checks a key-binding JWT for audience, nonce, age and sd_hash when asked, and says when it is missing', async () => {
      const holder = await generateKeyPair('ES256');
      const [c] = await issue('acme', ['dc+sd-jwt'], { holder: { jwk: await exportJWK(holder.publicKey) } });
      const sdJwt = c!.credential;
      const sdHash = base64url.encode(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(sdJwt))));
      const kb = (claims: Record<string, unknown>) =>
        new SignJWT({ aud: 'https://verifier.example', nonce: 'n-1', sd_hash: sdHash, ...claims })
          .setProtectedHeader({ alg: 'ES256', typ: 'kb+jwt' })
          .setIssuedAt(Math.floor(h.clock().getTime() / 1000))
          .sign(holder.privateKey);
      const expected = { keyBinding: { audience: 'https://verifier.example', nonce: 'n-1' } };

      expect(failed(await verifyCredential(`${sdJwt}${await kb({})}`, env(), expected))).toEqual([]);
      expect(failed(await verifyCredential(`${sdJwt}${await kb({ aud: 'https://other.example' })}`, env(), expected))).toEqual([
        'key_binding:wrong_audience',
      ]);
      expect(failed(await verifyCredential(`${sdJwt}${await kb({ nonce: 'n-0' })}`, env(), expected))).toEqual(['key_binding:wrong_nonce']);
      expect(failed(await verifyCredential(`${sdJwt}${await kb({ sd_hash: 'x' })}`, env(), expected))).toEqual([
        'key_binding:sd_hash_mismatch',
      ]);
      expect(failed(await verifyCredential(sdJwt, env(), expected))).toEqual(['key_binding:key_binding_missing']);
      const unasked = await verifyCredential(sdJwt, env());
      expect(unasked.verified).toBe(true);
      expect(unasked.checks.find((x) => x.name === 'key_binding')).toMatchObject({ ok: true, code: 'not_presented' });
    });
  });

  it('answers garbage with a failed format check, never a throw', async () => {
    for (const input of [
      '',
      'not a jwt',
      'a.b.c',
      '~',
      42,
      null,
      { type: 'VerifiableCredential' },
      'x'.repeat(300_000),
      `${base64url.encode('['.repeat(50) + ']'.repeat(50))}.e30.`,
    ]) {
      const r = await verifyCredential(input, env());
      expect(r.verified).toBe(false);
      expect(r.checks.at(-1)!.ok).toBe(false);
    }
  });
});

describe('the readiness verdict, recomputed', () => {
  let t: TestDatabase;
  let h: Harness;
  const origin = new URL(ORIGIN);
  beforeAll(async () => {
    t = await freshPglite();
    h = await harness(t.db);
    await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id: 'acme', name: 'acme' } });
  });
  afterAll(() => t.dispose());

  it('refuses a credential whose verdict its own results do not support, whoever signed it', async () => {
    const res = await h.request('POST', '/v1/t/acme/attestations', {
      token: h.adminToken,
      body: { assessment: readinessAssessment({ failing: ['security.csp_hsts'] }), formats: ['vc+jwt'] },
    });
    const genuine = decodeJwt(((await res.json()) as { credentials: { credential: string }[] }).credentials[0]!.credential) as Record<
      string,
      unknown
    >;
    // An issuer of its own (did:jwk, trusted here) re-signs the same subject with a better verdict.
    const pair = await generateKeyPair('ES256');
    const did = `did:jwk:${base64url.encode(JSON.stringify({ ...(await exportJWK(pair.publicKey)), alg: 'ES256' }))}`;
    const sign = (subject: unknown) =>
      new CompactSign(
        new TextEncoder().encode(JSON.stringify({ ...genuine, issuer: did, credentialStatus: undefined, credentialSubject: subject })),
      )
        .setProtectedHeader({ alg: 'ES256', typ: 'vc+jwt', kid: `${did}#0` })
        .sign(pair.privateKey);
    const env: VerifyEnvironment = {
      keys: databaseKeys(t.db, origin, remoteIssuerKeys({ fetchJson: () => Promise.reject(new Error('no network')) })),
      statusLists: { fetch: () => Promise.reject(new Error('no status lists')) },
      isTrusted: () => true,
      now: h.clock(),
      skewSeconds: 60,
    };
    const subject = genuine.credentialSubject as { verdict: Record<string, unknown> };
    const honestText = await sign(subject);
    const honest = await verifyCredential(honestText, env);
    expect(honest.checks.filter((c) => !c.ok)).toEqual([]);
    expect(honest.readiness?.recomputed).toBe(true);
    // Verified again (the verdict is then remembered for this exact text), the report is the same.
    expect(await verifyCredential(honestText, env)).toEqual(honest);

    for (const verdict of [
      { ...subject.verdict, stage: 'scale_ready' },
      { ...subject.verdict, strict_gate_passed: false },
    ]) {
      const inflatedText = await sign({ ...subject, verdict });
      // Twice: a refusal is never remembered as a pass, and the honest text's report never stands in for it.
      for (const inflated of [await verifyCredential(inflatedText, env), await verifyCredential(inflatedText, env)]) {
        expect(inflated.verified).toBe(false);
        expect(inflated.checks.filter((c) => !c.ok).map((c) => `${c.name}:${c.code}`)).toEqual(['readiness:verdict_mismatch']);
      }
    }
  });
});
