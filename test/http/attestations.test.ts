import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { generateKeyEncryptionKey, importKeyEncryptionKey } from '../../src/keys/key-crypto.ts';
import { createJsonLogger } from '../../src/log/logger.ts';
import { freshPglite, type TestDatabase } from '../support/databases.ts';
import { harness, type Harness } from '../support/harness.ts';
import { allTenants, expectProblem, readinessAssessment, tenantProfile, tenantState } from './helpers.ts';

interface Issued {
  assessment: { id: string; verdict: { stage: string | null; strictGatePassed: boolean; blockers: { control: string }[] } };
  kid: string;
  valid_from: string;
  valid_until: string;
  credentials: { id: string; format: string; media_type: string; credential: string }[];
}

const ALL_FORMATS = ['vc+jwt', 'jwt_vc_json', 'dc+sd-jwt'];
const holderJwk = {
  kty: 'EC',
  crv: 'P-256',
  x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
  y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
};

describe('issuing readiness attestations over HTTP', () => {
  let t: TestDatabase;
  let h: Harness;
  const issue = (body: unknown, headers: Record<string, string> = {}) =>
    h.request('POST', '/v1/t/acme/attestations', { token: h.adminToken, body, headers });
  const issued = async (body: unknown, headers: Record<string, string> = {}) => {
    const res = await issue(body, headers);
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as Issued;
  };
  const count = async (table: string) =>
    (await allTenants(t.db, (tx) => tx.query<{ n: number }>(`select count(*)::int as n from ${table}`)))[0]!.n;

  beforeAll(async () => {
    t = await freshPglite();
    h = await harness(t.db);
    expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id: 'acme', name: 'Acme' } })).status).toBe(201);
  });
  afterAll(() => t.dispose());

  it('evaluates an assessment and stores it with the verdict the service computed', async () => {
    const res = await h.request('POST', '/v1/t/acme/assessments', { token: h.adminToken, body: readinessAssessment() });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { id: string; verdict: { stage: string; strictGatePassed: boolean; profile: { digest: string } } };
    expect(body.verdict).toMatchObject({ stage: 'scale_ready', strictGatePassed: true });
    const profile = (await (await h.request('GET', '/profiles/production-readiness-review/1.0.0')).json()) as { digest: string };
    expect(body.verdict.profile.digest).toBe(profile.digest);
    expect(res.headers.get('location')).toBe(`/v1/t/acme/assessments/${body.id}`);
  });

  it('holds the stage back and names the blocker when a P0 control fails', async () => {
    const res = await h.request('POST', '/v1/t/acme/assessments', {
      token: h.adminToken,
      body: readinessAssessment({ failing: ['security.ssrf'] }),
    });
    const body = (await res.json()) as {
      verdict: { stage: string | null; strictGatePassed: boolean; blockers: { control: string; status: string }[] };
    };
    expect(body.verdict).toMatchObject({ stage: null, strictGatePassed: false });
    expect(body.verdict.blockers).toContainEqual(expect.objectContaining({ control: 'security.ssrf', status: 'fail' }));
  });

  it('refuses an assessment naming an unknown control with 422 and a pointer, storing nothing', async () => {
    const before = await tenantState(t.db, 'acme');
    const a = readinessAssessment();
    a.results.push({ control: 'security.nosuchcontrol', status: 'pass', evidence: a.results[0]!.evidence } as never);
    const problem = await expectProblem(
      await h.request('POST', '/v1/t/acme/assessments', { token: h.adminToken, body: a }),
      422,
      'invalid_assessment',
    );
    expect(problem.errors?.[0]?.pointer).toBe(`/results/${a.results.length - 1}/control`);
    expect(await tenantState(t.db, 'acme')).toEqual(before);
  });

  it('refuses a profile version that does not exist with 404 profile_not_found', async () => {
    const a = { ...readinessAssessment(), profile: { id: 'production-readiness-review', version: '9.9.9' } };
    await expectProblem(await h.request('POST', '/v1/t/acme/assessments', { token: h.adminToken, body: a }), 404, 'profile_not_found');
  });

  it('issues every format asked for, each recorded, each signed by the active key', async () => {
    const out = await issued({ assessment: readinessAssessment(), formats: ALL_FORMATS });
    expect(out.credentials.map((c) => [c.format, c.media_type])).toEqual([
      ['vc+jwt', 'application/vc+jwt'],
      ['jwt_vc_json', 'application/jwt'],
      ['dc+sd-jwt', 'application/dc+sd-jwt'],
    ]);
    const kid = out.kid.split('#')[1]!;
    const jwks = (await (await h.request('GET', '/t/acme/jwks.json')).json()) as { keys: { kid: string }[] };
    expect(jwks.keys[0]!.kid).toBe(kid);
    for (const c of out.credentials) {
      const header = decodeProtectedHeader(c.credential.split('~')[0]!);
      expect(header.kid).toBe(c.format === 'dc+sd-jwt' ? kid : out.kid);
      const record = await h.request('GET', `/v1/t/acme/credentials/${encodeURIComponent(c.id)}`, { token: h.adminToken });
      expect(record.status).toBe(200);
      expect(await record.json()).toMatchObject({
        id: c.id,
        format: c.format,
        kid,
        credential: c.credential,
        assessment_id: out.assessment.id,
      });
    }
    // The key that signed stays published at least as long as what it signed is valid.
    const [key] = await allTenants(t.db, (tx) =>
      tx.query<{ signed_until: Date }>('select signed_until from signing_keys where tenant_id = $1 and kid = $2', ['acme', kid]),
    );
    // Kept to whole days, so the key's row is written about once a day rather than by every issuance.
    const until = new Date(out.valid_until).getTime();
    expect(key!.signed_until.getTime()).toBeGreaterThanOrEqual(until);
    expect(key!.signed_until.getTime() - until).toBeLessThan(86_400_000);
    expect(key!.signed_until.getTime() % 86_400_000).toBe(0);
  });

  it('issues from a stored assessment by its id', async () => {
    const stored = (await (
      await h.request('POST', '/v1/t/acme/assessments', { token: h.adminToken, body: readinessAssessment() })
    ).json()) as { id: string };
    const out = await issued({ assessment_id: stored.id, formats: ['jwt_vc_json'] });
    expect(out.assessment.id).toBe(stored.id);
    expect(
      (decodeJwt(out.credentials[0]!.credential).vc as { credentialSubject: { assessment: string } }).credentialSubject.assessment,
    ).toBe(stored.id);
    await expectProblem(await issue({ assessment_id: crypto.randomUUID(), formats: ['vc+jwt'] }), 404, 'assessment_not_found');
  });

  it('defaults to 90 days of validity and refuses validity beyond the key policy, backdating, or an empty window', async () => {
    const out = await issued({ assessment: readinessAssessment(), formats: ['vc+jwt'] });
    expect(new Date(out.valid_until).getTime() - new Date(out.valid_from).getTime()).toBe(90 * 86_400_000);
    expect(out.valid_from).toBe(h.clock().toISOString());
    const before = await tenantState(t.db, 'acme');
    const day = (n: number) => new Date(h.clock().getTime() + n * 86_400_000).toISOString();
    for (const [body, pointer] of [
      [{ valid_until: day(366) }, '/valid_until'],
      [{ valid_from: day(-2) }, '/valid_from'],
      [{ valid_from: day(10), valid_until: day(5) }, '/valid_until'],
    ] as const) {
      const problem = await expectProblem(
        await issue({ assessment: readinessAssessment(), formats: ['vc+jwt'], ...body }),
        400,
        'invalid_request',
      );
      expect(problem.errors?.map((e) => e.pointer)).toEqual([pointer]);
    }
    expect(await tenantState(t.db, 'acme')).toEqual(before);
  });

  it('binds the SD-JWT VC to a holder key (cnf), and refuses a private key or an unbindable DID', async () => {
    const out = await issued({ assessment: readinessAssessment(), formats: ['dc+sd-jwt'], holder: { jwk: holderJwk } });
    expect(decodeJwt(out.credentials[0]!.credential.split('~')[0]!).cnf).toEqual({ jwk: holderJwk });
    const withPrivate = await expectProblem(
      await issue({ assessment: readinessAssessment(), formats: ['dc+sd-jwt'], holder: { jwk: { ...holderJwk, d: 'secret' } } }),
      400,
      'invalid_request',
    );
    expect(withPrivate.errors?.map((e) => e.pointer)).toContain('/holder/jwk/d');
    const unbindable = await expectProblem(
      await issue({ assessment: readinessAssessment(), formats: ['dc+sd-jwt'], holder: { did: 'did:web:holder.example' } }),
      400,
      'invalid_request',
    );
    expect(unbindable.errors?.map((e) => e.pointer)).toEqual(['/holder/did']);
  });

  it('replays the same response for the same Idempotency-Key and body, and refuses another body under it', async () => {
    const key = { 'idempotency-key': `k-${crypto.randomUUID()}` };
    const body = { assessment: readinessAssessment(), formats: ['vc+jwt', 'dc+sd-jwt'] };
    const first = await issue(body, key);
    const credentialsAfterFirst = await count('credentials');
    const second = await issue(body, key);
    expect(second.status).toBe(201);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(await second.json()).toEqual(await first.json());
    await expectProblem(await issue({ ...body, formats: ['vc+jwt'] }, key), 409, 'idempotency_key_reused');
    expect(await count('credentials')).toBe(credentialsAfterFirst);
  });

  it('leaves nothing behind when signing fails mid-issuance', async () => {
    // The same database, served by an instance holding the wrong key-encryption key.
    const wrongKek = await importKeyEncryptionKey(generateKeyEncryptionKey());
    const app = createApp({
      config: h.config,
      kek: wrongKek,
      clock: h.clock,
      log: createJsonLogger('error', () => {}),
      fetch: () => Promise.reject(new Error('offline')),
    });
    const before = await tenantState(t.db, 'acme');
    const res = await app.fetch(
      new Request('https://issuer.test/v1/t/acme/attestations', {
        method: 'POST',
        headers: { authorization: `Bearer ${h.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ assessment: readinessAssessment(), formats: ALL_FORMATS }),
      }),
      { db: t.db },
    );
    await expectProblem(res, 503, 'signing_unavailable');
    expect(await tenantState(t.db, 'acme')).toEqual(before);
  });

  it('signs with the new key after a rotation while earlier credentials keep their published key', async () => {
    const before = await issued({ assessment: readinessAssessment(), formats: ['jwt_vc_json'] });
    const rotated = (await (await h.request('POST', '/v1/t/acme/keys/rotate', { token: h.adminToken })).json()) as {
      active: string;
      retired: string;
    };
    const after = await issued({ assessment: readinessAssessment(), formats: ['jwt_vc_json'] });
    expect(before.kid.split('#')[1]).toBe(rotated.retired);
    expect(after.kid.split('#')[1]).toBe(rotated.active);
    const kids = ((await (await h.request('GET', '/t/acme/jwks.json')).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
    expect(kids).toEqual(expect.arrayContaining([rotated.active, rotated.retired]));
  });

  it('lists records newest first, filtered, in pages that neither skip nor repeat', async () => {
    for (let i = 0; i < 3; i++) {
      h.clock.advanceDays(0.01);
      await issued({ assessment: readinessAssessment(), formats: ['vc+jwt', 'jwt_vc_json'] });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = `/v1/t/acme/credentials?format=jwt_vc_json&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await (await h.request('GET', q, { token: h.adminToken })).json()) as {
        credentials: { id: string; format: string; issued_at: string }[];
        next_cursor: string | null;
      };
      expect(page.credentials.every((c) => c.format === 'jwt_vc_json')).toBe(true);
      seen.push(...page.credentials.map((c) => c.id));
      cursor = page.next_cursor;
    } while (cursor);
    const [{ n }] = (await allTenants(t.db, (tx) =>
      tx.query<{ n: number }>(`select count(*)::int as n from credentials where format = 'jwt_vc_json'`),
    )) as [{ n: number }];
    expect(new Set(seen).size).toBe(n);
    expect(seen).toHaveLength(n);
    const bySubject = (await (
      await h.request('GET', `/v1/t/acme/credentials?subject=${encodeURIComponent('Acme Corp / Acme Cloud')}&limit=100`, {
        token: h.adminToken,
      })
    ).json()) as { credentials: unknown[] };
    expect(bySubject.credentials.length).toBe(await count('credentials'));
    await expectProblem(await h.request('GET', '/v1/t/acme/credentials?cursor=bogus', { token: h.adminToken }), 400, 'invalid_request');
  });
});

describe('published profiles and type metadata', () => {
  let t: TestDatabase;
  let h: Harness;
  beforeAll(async () => {
    t = await freshPglite();
    h = await harness(t.db);
    expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id: 'acme', name: 'Acme' } })).status).toBe(201);
  });
  afterAll(() => t.dispose());

  it('lists the three built-in profiles, each in 1.0.0 and 1.1.0 (issue 14), with their digests, each version immutable and cacheable for good', async () => {
    const list = (await (await h.request('GET', '/profiles')).json()) as {
      profiles: { id: string; version: string; digest: string; url: string }[];
    };
    expect(list.profiles.map((p) => `${p.id}@${p.version}`).sort()).toEqual([
      'production-proof@1.0.0',
      'production-proof@1.1.0',
      'production-readiness-checklist@1.0.0',
      'production-readiness-checklist@1.1.0',
      'production-readiness-review@1.0.0',
      'production-readiness-review@1.1.0',
    ]);
    for (const p of list.profiles) {
      const res = await h.request('GET', new URL(p.url).pathname);
      expect(res.headers.get('cache-control')).toContain('immutable');
      expect(((await res.json()) as { digest: string }).digest).toBe(p.digest);
    }
  });

  it('lets a tenant add its own profile version once, and issue under it', async () => {
    const profile = tenantProfile('acme-launch', '1.0.0');
    expect((await h.request('POST', '/v1/t/acme/profiles', { token: h.adminToken, body: profile })).status).toBe(201);
    await expectProblem(
      await h.request('POST', '/v1/t/acme/profiles', { token: h.adminToken, body: { ...profile, title: 'changed' } }),
      409,
      'profile_exists',
    );
    const builtin = (await (await h.request('GET', '/profiles/production-proof/1.0.0')).json()) as { profile: unknown };
    await expectProblem(
      await h.request('POST', '/v1/t/acme/profiles', { token: h.adminToken, body: builtin.profile }),
      409,
      'profile_exists',
    );
    const assessment = {
      profile: { id: 'acme-launch', version: '1.0.0' },
      subject: { organisation: 'Acme', product: 'Launch', productionUrl: 'https://launch.acme.example' },
      results: [{ control: 'core.only', status: 'pass', evidence: readinessAssessment().results[0]!.evidence }],
      signOffs: [],
    };
    const res = await h.request('POST', '/v1/t/acme/attestations', { token: h.adminToken, body: { assessment, formats: ['vc+jwt'] } });
    expect(res.status).toBe(201);
    expect(((await res.json()) as Issued).assessment.verdict.stage).toBe('ready');
    const [row] = await allTenants(t.db, (tx) =>
      tx.query<{ used_at: Date | null }>(`select used_at from tenant_profiles where profile_id = 'acme-launch'`),
    );
    expect(row!.used_at).not.toBeNull();
    expect((await h.request('GET', '/t/acme/profiles/acme-launch/1.0.0')).status).toBe(200);
    expect((await h.request('GET', '/profiles/acme-launch/1.0.0')).status).toBe(404);
    // An unknown tenant is named as such on every public per-tenant route, profiles included.
    await expectProblem(await h.request('GET', '/t/nobody/profiles/acme-launch/1.0.0'), 404, 'tenant_not_found');
    await expectProblem(await h.request('GET', '/t/nobody/profiles'), 404, 'tenant_not_found');
  });

  it('serves the type metadata at the vct and at its well-known form, with the integrity every SD-JWT VC carries', async () => {
    const a = await h.request('GET', '/types/launch-readiness/v1');
    const b = await h.request('GET', '/.well-known/vct/types/launch-readiness/v1');
    const bytes = await a.text();
    expect(await b.text()).toBe(bytes);
    expect(JSON.parse(bytes).vct).toBe('https://issuer.test/types/launch-readiness/v1');
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(bytes)));
    const integrity = `sha256-${btoa(String.fromCharCode(...digest))}`;
    const res = await h.request('POST', '/v1/t/acme/attestations', {
      token: h.adminToken,
      body: { assessment: readinessAssessment(), formats: ['dc+sd-jwt'] },
    });
    const sd = ((await res.json()) as Issued).credentials[0]!.credential;
    expect(decodeJwt(sd.split('~')[0]!)['vct#integrity']).toBe(integrity);
  });

  it('defines every term of the VC Data Model 2.0 credential in its published JSON-LD context', async () => {
    const res = await h.request('POST', '/v1/t/acme/attestations', {
      token: h.adminToken,
      body: { assessment: readinessAssessment(), formats: ['vc+jwt'] },
    });
    const vc = decodeJwt(((await res.json()) as Issued).credentials[0]!.credential) as {
      '@context': string[];
      type: string[];
      credentialSubject: Record<string, unknown>;
    };
    expect(vc['@context']).toEqual(['https://www.w3.org/ns/credentials/v2', 'https://issuer.test/contexts/launch-readiness/v1']);
    const ctx = await h.request('GET', '/contexts/launch-readiness/v1');
    expect(ctx.headers.get('content-type')).toBe('application/ld+json');
    const terms = ((await ctx.json()) as { '@context': Record<string, unknown> })['@context'];
    // Every subject member and the custom type, except `id`, which the base context defines.
    for (const term of [
      ...Object.keys(vc.credentialSubject).filter((k) => k !== 'id'),
      ...vc.type.filter((t) => t !== 'VerifiableCredential'),
    ]) {
      expect(terms, term).toHaveProperty(term);
    }
  });

  it('publishes the credential, profile and assessment JSON Schemas', async () => {
    for (const name of ['launch-readiness-credential', 'readiness-profile', 'readiness-assessment']) {
      const res = await h.request('GET', `/schemas/${name}.schema.json`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/schema+json');
      expect(((await res.json()) as { $schema: string }).$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    }
    await expectProblem(await h.request('GET', '/schemas/nope.schema.json'), 404, 'not_found');
  });
});
